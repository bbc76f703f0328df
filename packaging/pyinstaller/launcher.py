"""Entry script for the PyInstaller bundle.

PyInstaller runs its entry file as a top-level script, so it cannot be
`app/main.py` itself (that module uses package-relative imports).
"""

import sys

from app.main import main

if __name__ == "__main__":
    sys.exit(main())
