#!/usr/bin/env python3
"""An example backend: run a two-file Python program through runlet and print its output.

It creates an Execution with the official Kubernetes client (the `kubernetes` package; on
Debian, python3-kubernetes), follows it with a watch until it has finished, and prints the
program's stdout and stderr. The exit status is 0 when the Execution succeeded, else 1.

    KUBECONFIG=~/.kube/config python3 examples/python/run_execution.py 4 8 15 16 23 42
"""

import argparse
import sys
import time

from kubernetes import client, config, watch
from kubernetes.config.config_exception import ConfigException

GROUP, VERSION, PLURAL = "runlet.dev", "v1alpha1", "executions"

# The main program reads numbers from its standard input and uses a module that travels
# beside it in spec.files.
MAIN = """\
import sys
from stats import mean

numbers = [float(word) for word in sys.stdin.read().split()]
print(f"mean of {len(numbers)} numbers: {mean(numbers):g}")
"""

STATS = """\
def mean(numbers):
    return sum(numbers) / len(numbers) if numbers else 0.0
"""


def load_config():
    """Use $KUBECONFIG or ~/.kube/config, or the service account when run in a pod."""
    try:
        config.load_kube_config()
    except ConfigException:
        config.load_incluster_config()


def finished(execution):
    return execution.get("status", {}).get("phase") in ("Succeeded", "Failed")


def wait_finished(api, namespace, name, deadline):
    """Watch the Execution until it has finished and return it.

    Each watch starts from the version just read, so no change is missed; when the server
    ends a watch (it does so after a while, or when that version has expired), the object
    is read again and a new watch starts from there.
    """
    while True:
        execution = api.get_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, name)
        if finished(execution):
            return execution
        remaining = int(deadline - time.monotonic())
        if remaining <= 0:
            raise TimeoutError(f"execution {name} did not finish in time")

        w = watch.Watch()
        for event in w.stream(
            api.list_namespaced_custom_object, GROUP, VERSION, namespace, PLURAL,
            field_selector=f"metadata.name={name}",
            resource_version=execution["metadata"]["resourceVersion"],
            timeout_seconds=min(remaining, 60),
        ):
            if event["type"] == "DELETED":
                w.stop()
                raise RuntimeError(f"execution {name} was deleted before it finished")
            if event["type"] == "ERROR":
                break
            if finished(event["object"]):
                w.stop()
                return event["object"]
        w.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("numbers", nargs="*", default=["1", "2", "3", "4"],
                        help="numbers the program averages (its standard input)")
    parser.add_argument("--namespace", default="default", help="namespace of the Execution")
    parser.add_argument("--wait-timeout", type=int, default=120,
                        help="seconds to wait for the result")
    args = parser.parse_args()

    load_config()
    api = client.CustomObjectsApi()
    body = {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Execution",
        "metadata": {"generateName": "example-python-"},
        "spec": {
            "language": "python",
            "code": MAIN,
            "files": [{"path": "stats.py", "content": STATS}],
            "stdin": " ".join(args.numbers),
            "timeoutSeconds": 30,
            "resources": {"memory": "64Mi"},
            # The controller deletes the object ten minutes after it finished.
            "ttlSecondsAfterFinished": 600,
        },
    }
    created = api.create_namespaced_custom_object(GROUP, VERSION, args.namespace, PLURAL, body)
    name = created["metadata"]["name"]
    print(f"created execution {args.namespace}/{name}", file=sys.stderr)

    execution = wait_finished(api, args.namespace, name,
                              time.monotonic() + args.wait_timeout)
    status = execution.get("status", {})
    sys.stdout.write(status.get("stdout", ""))
    sys.stderr.write(status.get("stderr", ""))
    if status.get("phase") != "Succeeded":
        print(f"{name}: {status.get('phase')} ({status.get('reason')}): "
              f"{status.get('message', '')}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except client.ApiException as err:
        print(f"error: the API server answered {err.status} {err.reason}: {err.body}",
              file=sys.stderr)
        sys.exit(1)
    except (TimeoutError, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(1)
