"""Container and Kubernetes definitions: schema-valid, and runnable commands.

No container engine runs here, so the manifests are checked the way a cluster
would first check them: against the Kubernetes JSON schemas (strict: unknown
fields rejected), and the commands they run must exist in our CLI.
"""

import pathlib

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
K8S = sorted((ROOT / "packaging" / "k8s").glob("*.yaml"))


def _docs(path):
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


@pytest.mark.parametrize("path", K8S, ids=lambda p: p.name)
def test_k8s_manifest_is_schema_valid(path):
    kv = pytest.importorskip("kubernetes_validate")
    for doc in _docs(path):
        kv.validate(doc, "1.30.0", strict=True)


def test_k8s_schema_check_has_teeth():
    kv = pytest.importorskip("kubernetes_validate")
    doc = _docs(ROOT / "packaging" / "k8s" / "convert-job.yaml")[0]
    doc["spec"]["template"]["spec"]["containers"][0]["resources"]["requestz"] = {}
    with pytest.raises(Exception):
        kv.validate(doc, "1.30.0", strict=True)


def _jobs():
    for path in K8S:
        for doc in _docs(path):
            if doc["kind"] == "Job":
                yield path, doc


def test_jobs_are_indexed_and_run_batch_per_index():
    jobs = list(_jobs())
    assert len(jobs) == 2
    for _path, job in jobs:
        spec = job["spec"]
        assert spec["completionMode"] == "Indexed"
        args = spec["template"]["spec"]["containers"][0]["args"]
        assert args[0] == "batch" and "--index" in args
        assert args[args.index("--index") + 1] == "$(JOB_COMPLETION_INDEX)"


def test_tensorrt_job_requests_a_gpu():
    [(path, job)] = [(p, j) for p, j in _jobs() if "tensorrt" in p.name]
    res = job["spec"]["template"]["spec"]["containers"][0]["resources"]
    assert res["limits"]["nvidia.com/gpu"] == 1
    assert res["requests"]["nvidia.com/gpu"] == 1


def test_embedded_batch_manifests_parse_and_counts_match(tmp_path):
    """Each ConfigMap's manifest is a valid batch manifest; completions == jobs."""
    from c2core.batch import load_manifest

    cms = {}
    for path in K8S:
        for doc in _docs(path):
            if doc["kind"] == "ConfigMap":
                cms[doc["metadata"]["name"]] = doc["data"]
    for _path, job in _jobs():
        vol = [v for v in job["spec"]["template"]["spec"]["volumes"] if "configMap" in v][0]
        data = cms[vol["configMap"]["name"]]
        [(fname, text)] = data.items()
        mf = tmp_path / fname
        mf.write_text(text)
        jobs, out_dir = load_manifest(str(mf))
        assert job["spec"]["completions"] == len(jobs)
        assert out_dir.startswith("/models")


def test_cli_accepts_the_job_command_line():
    from c2core.cli.main import build_parser

    p = build_parser("batch")
    ns = p.parse_args(["batch", "/config/manifest.yaml", "--index", "2", "--jobs", "1"])
    assert ns.index == 2 and ns.jobs == 1


def test_containerfile_installs_cpu_torch_first_and_runs_the_cli():
    text = (ROOT / "packaging" / "container" / "Containerfile").read_text()
    lines = [l for l in text.splitlines() if l.strip() and not l.lstrip().startswith("#")]
    body = "\n".join(lines)
    assert body.index("torch==2.13.0") < body.index('pip install ".')
    assert 'ENTRYPOINT ["c2core"]' in body
    for src in ("c2core", "app", "resources", "pyproject.toml"):
        assert (ROOT / src).exists(), f"Containerfile copies {src}, which is missing"
