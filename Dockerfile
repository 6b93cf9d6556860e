# Build: pure Go (modernc SQLite needs no cgo), so the image is static.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/scriptforge ./cmd/scriptforge

# Run: no shell, no package manager. It runs as root only because fly.io
# mounts volumes owned by root.
FROM gcr.io/distroless/static-debian12
COPY --from=build /out/scriptforge /scriptforge
ENV SCRIPTFORGE_ADDR=:8080 SCRIPTFORGE_DATA_DIR=/data
EXPOSE 8080
VOLUME /data
ENTRYPOINT ["/scriptforge"]
CMD ["serve"]
