"""Puts a kernel build (a fatbin or an sm_90a cubin, and its sagestudio_kernels.json) into the attention jar of a
make-gpu-bundle.sh folder, in place of the jar's own, so that the bundle's JUnit suite and Java harness run that
build (device calls that A/B several builds validate the winner this way). The jar is rewritten stored
(uncompressed), as runs/run15-tma/pack-bundle.sh leaves it.

    python3 bundle_kernels.py BUNDLE_LIB_DIR KERNEL_FILE [MANIFEST]   (MANIFEST: default next to KERNEL_FILE)"""
import glob
import os
import sys
import zipfile

RESOURCE = "dev/sagestudio/attention/gpu/sagestudio_kernels."


def main():
    lib, kernel = sys.argv[1], sys.argv[2]
    manifest = sys.argv[3] if len(sys.argv) > 3 else os.path.join(os.path.dirname(kernel), "sagestudio_kernels.json")
    jar = [j for j in glob.glob(f"{lib}/attention-*.jar") if "sources" not in j and "tests" not in j][0]
    with zipfile.ZipFile(jar) as src, zipfile.ZipFile(jar + ".new", "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            if info.filename not in (RESOURCE + "fatbin", RESOURCE + "json"):
                dst.writestr(info, src.read(info.filename))
        dst.write(kernel, RESOURCE + "fatbin")
        dst.write(manifest, RESOURCE + "json")
    os.replace(jar + ".new", jar)
    print("kernels", kernel, "->", jar)


if __name__ == "__main__":
    main()
