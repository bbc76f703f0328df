"""`c2studio` entry point (placeholder until the app issue lands)."""

import sys


def main(argv=None) -> int:
    from PySide6.QtWidgets import QApplication, QLabel

    app = QApplication.instance() or QApplication(sys.argv[:1])
    w = QLabel("Caffe2 Studio")
    w.resize(1400, 900)
    w.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
