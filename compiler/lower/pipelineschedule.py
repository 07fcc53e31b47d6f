"""Start a run of a Kubeflow Pipelines pipeline version (mlc's pipeline schedule).

Looks the Pipeline and PipelineVersion up by name in the Kubernetes API (their UIDs are
KFP's pipeline_id and pipeline_version_id), finds or creates the experiment, and asks
KFP's API server for a run. Exits 1, saying why, when any step fails.
"""
import datetime
import json
import os
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request

env = os.environ.get
SA = "/var/run/secrets/kubernetes.io/serviceaccount/"


def fail(msg):
    sys.exit("mlc-schedule: " + msg)


def read(path, what):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError as e:
        fail("cannot read %s: %s" % (what, e))


def call(method, url, token, ctx=None, body=None, missing=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Authorization", "Bearer " + token)
    req.add_header("Accept", "application/json")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30, context=ctx) as resp:
            return json.load(resp)
    except urllib.error.HTTPError as e:
        if e.code == 404 and missing:
            fail(missing)
        fail("%s %s: HTTP %d: %s" % (method, url, e.code, e.read().decode(errors="replace")[:2000]))
    except (urllib.error.URLError, OSError, ValueError) as e:
        fail("%s %s: %s" % (method, url, e))


def main():
    ns, pipeline, version = env("MLC_NAMESPACE"), env("MLC_PIPELINE"), env("MLC_PIPELINE_VERSION")
    if not (ns and pipeline and version):
        fail("MLC_NAMESPACE, MLC_PIPELINE and MLC_PIPELINE_VERSION must be set")
    try:
        params = json.loads(env("MLC_RUN_PARAMETERS") or "{}")
    except ValueError as e:
        fail("MLC_RUN_PARAMETERS is not JSON: %s" % e)

    kube = env("MLC_KUBERNETES_API") or "https://%s:%s" % (
        env("KUBERNETES_SERVICE_HOST", ""), env("KUBERNETES_SERVICE_PORT", "443"))
    kube_token = read(env("MLC_KUBERNETES_TOKEN_PATH") or SA + "token", "the service account token")
    kube_ctx = ssl.create_default_context(cafile=env("MLC_KUBERNETES_CA") or SA + "ca.crt")
    base = "%s/apis/pipelines.kubeflow.org/v2beta1/namespaces/%s/" % (kube.rstrip("/"), ns)
    uids = {}
    for kind, plural, name in (("Pipeline", "pipelines", pipeline), ("PipelineVersion", "pipelineversions", version)):
        obj = call("GET", base + plural + "/" + name, kube_token, kube_ctx,
                   missing="%s %s/%s does not exist (has this revision been applied?)" % (kind, ns, name))
        uids[kind] = obj.get("metadata", {}).get("uid") or fail("%s %s/%s has no uid" % (kind, ns, name))

    kfp = (env("KF_PIPELINES_ENDPOINT") or "http://ml-pipeline.kubeflow.svc.cluster.local:8888").rstrip("/")
    kfp_token = read(env("KF_PIPELINES_SA_TOKEN_PATH") or "/var/run/secrets/kubeflow/pipelines/token", "the KFP token")
    experiment = env("MLC_EXPERIMENT") or "Default"
    query = urllib.parse.urlencode({"namespace": ns, "page_size": 1, "filter": json.dumps(
        {"predicates": [{"operation": "EQUALS", "key": "display_name", "string_value": experiment}]})})
    found = call("GET", kfp + "/apis/v2beta1/experiments?" + query, kfp_token).get("experiments") or []
    if not found:
        found = [call("POST", kfp + "/apis/v2beta1/experiments", kfp_token,
                      body={"display_name": experiment, "namespace": ns})]
    experiment_id = found[0].get("experiment_id") or fail("KFP gave experiment %s no id" % experiment)

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
    run = {
        "display_name": "%s %s" % (pipeline, now),
        "experiment_id": experiment_id,
        "pipeline_version_reference": {"pipeline_id": uids["Pipeline"], "pipeline_version_id": uids["PipelineVersion"]},
        "runtime_config": {"parameters": params},
    }
    if env("MLC_RUN_SERVICE_ACCOUNT"):
        run["service_account"] = env("MLC_RUN_SERVICE_ACCOUNT")
    created = call("POST", kfp + "/apis/v2beta1/runs", kfp_token, body=run)
    print("mlc-schedule: started run %s (%s) of %s/%s in experiment %s" % (
        created.get("run_id", "?"), run["display_name"], ns, version, experiment))


main()
