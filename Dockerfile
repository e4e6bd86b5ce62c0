# Build a static binary with the seed corpus embedded.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/talkbot ./cmd/talkbot

# A minimal image with CA certificates, running as a non-root user.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/talkbot /talkbot
USER nonroot:nonroot
ENTRYPOINT ["/talkbot"]
CMD ["--help"]
