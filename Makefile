# The whole test suite: vet, then every package with the race detector.
# .ci/run calls `make test`; so should you.
.PHONY: test vet build serve bench

test: vet
	go test -race -count=1 ./...

vet:
	go vet ./...

build:
	CGO_ENABLED=0 go build -trimpath -o bin/scriptforge ./cmd/scriptforge

serve:
	go run ./cmd/scriptforge serve

# Every benchmark target in one table of ratios (4 to 5 minutes; QUICK=1 make bench for ~1).
bench:
	bash bench/run
