# Build: pure Go (modernc SQLite needs no cgo), so the image is static.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/scriptforge ./cmd/scriptforge

# Run: no shell, no package manager. The gateway runs as root in its VM
# for one reason: it starts each sandbox process as nobody, so that code
# escaping a sandbox could read neither the gateway's memory nor its
# environment (DATABASE_URL, REDIS_URL). A gateway without root would run
# sandboxes as itself and says so in its log. With the embedded SQLite
# store, fly.io's volume is root's too.
FROM gcr.io/distroless/static-debian12
COPY --from=build /out/scriptforge /scriptforge
ENV SCRIPTFORGE_ADDR=:8080 SCRIPTFORGE_DATA_DIR=/data
EXPOSE 8080
VOLUME /data
ENTRYPOINT ["/scriptforge"]
# SIGTERM drains: new requests are refused, calls in flight finish within
# --shutdown-grace (fly.toml's kill_timeout leaves room for it).
STOPSIGNAL SIGTERM
CMD ["serve"]
