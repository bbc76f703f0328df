"""What every conversion returns: one `ConvertReport`, and one error when its parity check fails."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import C2Error


@dataclass
class ConvertReport:
    """One conversion: the files published, the parity report, the target's facts, timings.

    outputs: final paths, the root file first (empty when nothing was written);
    parity: `c2core.parity.ParityReport`, or None when verification was skipped;
    details: target facts (ONNX opset and node count, IR weight bytes, plan info);
    seconds: wall time per stage (export, build, parity, publish).
    """

    target: str  # onnx | openvino | tensorrt | caffe2 | import
    outputs: list = field(default_factory=list)
    parity: object = None
    written: bool = False
    precision: str = "fp32"
    details: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Verified and within tolerance, or verification skipped."""
        return self.parity is None or self.parity.ok

    @property
    def report(self):  # the parity report under the name deploy callers used
        return self.parity

    def summary(self) -> dict:
        """The one JSON line of `convert --json`: target, files written, verification."""
        return {"target": self.target, "outputs": list(self.outputs),
                "verify": None if self.parity is None else self.parity.summary()}

    def format(self) -> str:
        lines = [f"wrote {p}" for p in self.outputs] or ["nothing was written"]
        lines.append(self.parity.format() if self.parity is not None else "verification skipped (--no-verify)")
        return "\n".join(lines)


class ConversionFailed(C2Error):
    """The converted model's outputs differ from the reference beyond tolerance.

    `report` is the full ConvertReport (its outputs are empty unless keep_failed).
    """

    def __init__(self, report: ConvertReport, path: str | None = None, kept: bool = False):
        self.report = report
        parity = report.parity
        names = ", ".join(f"{o.name} ({o.note})" if o.note else o.name for o in parity.failures) \
            if parity.outputs else (parity.error or "no outputs")
        where = f"{parity.runtime} " if report.target != "onnx" else ""
        tail = "; file kept because --keep-failed was given" if kept else "; nothing was written"
        super().__init__(f"{where}verification failed, beyond tolerance: {names}{tail}", path)

    def __reduce__(self):  # survives the pipe of a child process (the app's jobs)
        return (ConversionFailed, (self.report, self.path, "kept" in self.reason))
