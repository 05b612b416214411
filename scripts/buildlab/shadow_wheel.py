"""Write the lab's test wheel dockfix-lab-shadow into a folder of wheels (the index's).

    python3 shadow_wheel.py WHEELS

Its only content is a console script named ``chmod`` that does nothing: installed by pip into
/usr/local/bin, first on PATH, it hides /bin/chmod. The real-build tests use it to show that a
step running ``chmod`` must not move below a pip install (tests/integration/projects/soundness/
carry-shadowed-program). Written by hand (a wheel is a zip file with a RECORD), so the lab needs
no build backend; the same bytes every time (fixed timestamps), so rewriting it changes nothing.
"""

import base64
import hashlib
import sys
import zipfile
from pathlib import Path

NAME, VERSION = "dockfix_lab_shadow", "1.0"
DIST = f"{NAME}-{VERSION}.dist-info"
FILES = {
    f"{NAME}.py": "def main():\n    return 0\n",
    f"{DIST}/METADATA": f"Metadata-Version: 2.1\nName: dockfix-lab-shadow\nVersion: {VERSION}\n",
    f"{DIST}/WHEEL": "Wheel-Version: 1.0\nGenerator: dockfix-buildlab\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    f"{DIST}/entry_points.txt": f"[console_scripts]\nchmod = {NAME}:main\n",
    f"{DIST}/top_level.txt": f"{NAME}\n",
}


def record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}\n"


def main() -> None:
    out = Path(sys.argv[1]) / f"{NAME}-{VERSION}-py3-none-any.whl"
    tmp = out.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        record = ""
        for path, text in FILES.items():
            data = text.encode()
            z.writestr(zipfile.ZipInfo(path, (2020, 1, 1, 0, 0, 0)), data)
            record += record_line(path, data)
        record += f"{DIST}/RECORD,,\n"
        z.writestr(zipfile.ZipInfo(f"{DIST}/RECORD", (2020, 1, 1, 0, 0, 0)), record)
    tmp.replace(out)


if __name__ == "__main__":
    main()
