// This example backend runs a piece of Python through runlet with the controller-runtime
// client and runlet's API types, waits for it with a watch, and prints what the program
// wrote. It exits 1 when the Execution did not succeed.
//
//	go run ./examples/go --kubeconfig ~/.kube/config --namespace default --name Ada
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	runletv1 "github.com/runlet-dev/runlet/api/v1alpha1"
)

// program greets whoever its standard input names and says which Python ran it.
const program = `import sys
name = sys.stdin.read().strip()
print(f"Hello, {name}, from Python {sys.version_info.major}.{sys.version_info.minor} on runlet")
`

func main() {
	// ctrl.GetConfig reads --kubeconfig (registered by controller-runtime), $KUBECONFIG,
	// ~/.kube/config or the in-cluster service account, in that order.
	namespace := flag.String("namespace", "default", "Namespace to create the Execution in")
	name := flag.String("name", "runlet", "Name the program greets, passed on its stdin")
	timeout := flag.Duration("wait-timeout", 2*time.Minute, "How long to wait for the result")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	exec, err := run(ctx, *namespace, *name)
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	fmt.Print(exec.Status.Stdout)
	fmt.Fprint(os.Stderr, exec.Status.Stderr)
	if exec.Status.Phase != runletv1.PhaseSucceeded {
		fmt.Fprintf(os.Stderr, "%s: %s (%s): %s\n", exec.Name, exec.Status.Phase,
			exec.Status.Reason, exec.Status.Message)
		os.Exit(1)
	}
}

// run creates the Execution and returns it once it has finished.
func run(ctx context.Context, namespace, name string) (*runletv1.Execution, error) {
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return nil, fmt.Errorf("load kubeconfig: %w", err)
	}
	scheme := runtime.NewScheme()
	if err := runletv1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	c, err := client.NewWithWatch(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, fmt.Errorf("create client: %w", err)
	}

	// The controller deletes the object ten minutes after it finished; a backend that keeps
	// its own record of results needs no more.
	ttl := int32(600)
	exec := &runletv1.Execution{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, GenerateName: "example-go-"},
		Spec: runletv1.ExecutionSpec{
			Language:                "python",
			Code:                    program,
			Stdin:                   name,
			TimeoutSeconds:          30,
			TTLSecondsAfterFinished: &ttl,
		},
	}
	if err := c.Create(ctx, exec); err != nil {
		return nil, fmt.Errorf("create execution: %w", err)
	}
	fmt.Fprintf(os.Stderr, "created execution %s/%s\n", exec.Namespace, exec.Name)
	return waitFinished(ctx, c, client.ObjectKeyFromObject(exec))
}

// waitFinished watches the Execution until its phase is Succeeded or Failed. The watch
// starts from the version just read, so no change is missed; when the server ends the
// watch, the object is read again and a new watch starts from there.
func waitFinished(ctx context.Context, c client.WithWatch, key types.NamespacedName) (
	*runletv1.Execution, error) {
	for {
		exec := &runletv1.Execution{}
		if err := c.Get(ctx, key, exec); err != nil {
			return nil, fmt.Errorf("get execution: %w", err)
		}
		if exec.Status.Phase.IsFinished() {
			return exec, nil
		}

		w, err := c.Watch(ctx, &runletv1.ExecutionList{}, &client.ListOptions{
			Namespace:     key.Namespace,
			FieldSelector: fields.OneTermEqualSelector("metadata.name", key.Name),
			Raw:           &metav1.ListOptions{ResourceVersion: exec.ResourceVersion},
		})
		if err != nil {
			return nil, fmt.Errorf("watch execution: %w", err)
		}
		for ev := range w.ResultChan() {
			if ev.Type == watch.Deleted {
				w.Stop()
				return nil, fmt.Errorf("execution %s was deleted before it finished", key.Name)
			}
			got, ok := ev.Object.(*runletv1.Execution)
			if !ok {
				// A watch error (an expired version, say) ends this watch; read again.
				break
			}
			if got.Status.Phase.IsFinished() {
				w.Stop()
				return got, nil
			}
		}
		w.Stop()
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("wait for execution %s: %w", key.Name, err)
		}
	}
}
