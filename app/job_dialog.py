"""The part every job dialog shares: start a `jobs.Job`, show its progress, Cancel, close.

The convert and quantize dialogs differ in their options and in what they show
when a job finishes; how a job is wired to the Run/Cancel buttons, the progress
bar, the status line and the result text is the same, and lives here once.
A dialog using it has `run_btn`, `cancel_btn`, `bar`, `message`, `result_view`
(a text widget) and `job`, and implements `_finished(data)` and `_enable_run()`.
"""

from __future__ import annotations

from . import jobs


class JobDialogMixin:
    """Mixed into a QDialog: one job at a time, its signals wired to the dialog's widgets."""

    def _launch(self, fn, title: str) -> jobs.Job | None:
        self.job = jobs.Job(fn, title, self)
        self.job.progress.connect(self._progress)
        self.job.finished.connect(self._finished)
        self.job.failed.connect(self._failed)
        self.job.cancelled.connect(self._cancelled)
        self.job.done.connect(self._done)
        self.run_btn.setEnabled(False)
        self.cancel_btn.setEnabled(True)
        return self.job.start()

    def cancel(self) -> None:
        if self.job is not None and self.job.is_running:
            self.message.setText("Cancelling…")
            self.job.cancel()
        else:
            self.close()

    def _progress(self, fraction: float, message: str) -> None:
        if fraction < 0:  # an unknown amount of work: a busy bar
            self.bar.setRange(0, 0)
        else:
            self.bar.setRange(0, 100)
            self.bar.setValue(int(100 * fraction))
        if message:
            self.message.setText(message)
        self._progressed(fraction, message)

    def _progressed(self, fraction: float, message: str) -> None:
        """Hook for dialogs that re-emit progress; nothing by default."""

    def _ended(self, status: str, text: str) -> None:
        self.bar.setRange(0, 100)
        self.bar.setValue(0)
        self.message.setText(status)
        self.result_view.setPlainText(text)

    def _failed(self, msg: str) -> None:
        self._ended("✗ Failed", msg)

    def _cancelled(self) -> None:
        self._ended("Cancelled", "Cancelled: nothing was written.")

    def _done(self) -> None:
        self._enable_run()
        self.cancel_btn.setEnabled(False)
        self.done.emit(self.job.state)

    def closeEvent(self, event):
        if self.job is not None and self.job.is_running:
            self.job.cancel()
        super().closeEvent(event)
