"""Run a manifest of conversions in parallel worker processes, resumably.

`c2core batch MANIFEST.yaml` is what a container Job wraps: every model in the
manifest is converted (and verified) by a separate worker process running
`c2core convert`, so one model that crashes or is killed cannot take the
others down. Progress and results are recorded in a state file next to the
outputs after every job; a second run skips jobs that already succeeded with
the same inputs and options, so an interrupted batch resumes where it stopped.
Outputs are never half-written: `convert` writes to a temp file and renames.
"""

from .manifest import Job, load_manifest
from .runner import BatchResult, run_batch

__all__ = ["Job", "load_manifest", "run_batch", "BatchResult"]
