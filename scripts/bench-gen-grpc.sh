#!/usr/bin/env bash
# Regenerates Benchmarks/GRPCBench/Sources/GRPCBench/engine.pb.swift (swift-protobuf messages for the grpc-swift side
# of `apus bench wire`) from Protos/apus/v1/engine.proto, the schema Apus itself speaks.
# Needs protoc (Debian protobuf-compiler) and protoc-gen-swift 1.39.x: pass its path as PROTOC_GEN_SWIFT or have it
# on PATH (build it from a swift-protobuf 1.39.0 checkout: `swift build -c release --product protoc-gen-swift`).
# The generated file is committed; nothing builds this at run time.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
plugin="${PROTOC_GEN_SWIFT:-$(command -v protoc-gen-swift)}"
out="$root/Benchmarks/GRPCBench/Sources/GRPCBench"
protoc --plugin=protoc-gen-swift="$plugin" --proto_path="$root/Protos" \
    --swift_opt=Visibility=Internal --swift_out="$out" apus/v1/engine.proto
mv "$out/apus/v1/engine.pb.swift" "$out/engine.pb.swift"
rmdir "$out/apus/v1" "$out/apus"
