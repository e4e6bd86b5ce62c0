# syntax=docker/dockerfile:1
# talkbot: build with `docker build -t talkbot .`, run with compose.yaml.

# Build a static binary (no cgo) with the seed corpus embedded.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
# go.mod replaces go-dateparser with the patched copy in third_party.
COPY third_party ./third_party
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/talkbot ./cmd/talkbot
# The state and index directories, owned by the image's user, so volumes
# mounted there start writable.
RUN mkdir -p /out/state /out/index

# A minimal image: CA certificates and time zones, no shell, a non-root user.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/talkbot /talkbot
COPY --from=build --chown=65532:65532 /out/state /state
COPY --from=build --chown=65532:65532 /out/index /index
USER nonroot:nonroot
# Metrics and health on 9090; the webhook, if used, on 8080. A reload
# briefly holds two corpora: talkbot sets Go's soft memory limit to 90% of
# the container's memory limit (its cgroup), so the garbage collector
# works harder before the heap reaches it. Give the container a memory
# limit sized to the corpus (docs/BENCHMARKS.md, "Sizing"); GOMEMLIMIT, if
# set, wins.
ENV METRICS_ADDR=:9090 STATE_DIR=/state INDEX_DIR=/index
EXPOSE 8080 9090
HEALTHCHECK --interval=30s --timeout=5s --start-period=2m --retries=3 CMD ["/talkbot", "healthcheck"]
ENTRYPOINT ["/talkbot"]
CMD ["serve"]
