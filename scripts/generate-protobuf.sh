#!/usr/bin/env bash
# Regenerates the Swift code of proto/ into Sources/PingmeshWire. The generated file is committed,
# so a build needs neither protoc nor the plugin; run this after changing a .proto file.
# Needs protoc (Debian's protobuf-compiler) and protoc-gen-swift of the swift-protobuf version
# Package.swift names (`swift build -c release --product protoc-gen-swift` in its checkout);
# PROTOC_GEN_SWIFT points at it when it is not on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
plugin=${PROTOC_GEN_SWIFT:-$(command -v protoc-gen-swift || true)}
[[ -x "$plugin" ]] || { echo "protoc-gen-swift not found: set PROTOC_GEN_SWIFT" >&2; exit 1; }
command -v protoc > /dev/null || { echo "protoc not found: apt-get install protobuf-compiler" >&2; exit 1; }
protoc --plugin=protoc-gen-swift="$plugin" --proto_path=proto \
  --swift_opt=Visibility=Public --swift_opt=FileNaming=DropPath \
  --swift_out=Sources/PingmeshWire proto/pingmesh/results/v1/results.proto
echo "wrote Sources/PingmeshWire/results.pb.swift"
