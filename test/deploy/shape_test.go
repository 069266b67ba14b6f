package deploy_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

const (
	managerName = "manager"
	daemonName  = "dind"
)

func deployment(t *testing.T, objects []*unstructured.Unstructured) appsv1.Deployment {
	t.Helper()
	deployments := ofKind(objects, "Deployment")
	if len(deployments) != 1 {
		t.Fatalf("want one Deployment, got %v", describe(deployments))
	}
	var d appsv1.Deployment
	into(t, deployments[0], &d)
	return d
}

func podSpec(t *testing.T, objects []*unstructured.Unstructured) corev1.PodSpec {
	t.Helper()
	return deployment(t, objects).Spec.Template.Spec
}

// container finds a container by name among the pod's containers and init containers.
func container(t *testing.T, pod corev1.PodSpec, name string) corev1.Container {
	t.Helper()
	for _, c := range slices.Concat(pod.InitContainers, pod.Containers) {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("the pod has no container %q", name)
	return corev1.Container{}
}

// flag returns the value of --name=value among args, and whether it is there.
func flag(args []string, name string) (string, bool) {
	for _, arg := range args {
		if value, ok := strings.CutPrefix(arg, "--"+name+"="); ok {
			return value, true
		}
	}
	return "", false
}

// mountOf returns the volume mounted at path in a container.
func mountOf(c corev1.Container, path string) (corev1.VolumeMount, bool) {
	for _, m := range c.VolumeMounts {
		if m.MountPath == path {
			return m, true
		}
	}
	return corev1.VolumeMount{}, false
}

func volume(t *testing.T, pod corev1.PodSpec, name string) corev1.Volume {
	t.Helper()
	for _, v := range pod.Volumes {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("the pod has no volume %q", name)
	return corev1.Volume{}
}

func TestManagerReachesTheDaemonOnlyThroughASocketInASharedEmptyDir(t *testing.T) {
	for _, r := range renderings() {
		t.Run(r.name, func(t *testing.T) {
			pod := podSpec(t, r.render(t))
			manager, daemon := container(t, pod, managerName), container(t, pod, daemonName)

			if len(daemon.Args) == 0 || daemon.Args[0] != "dockerd" {
				t.Fatalf("the daemon's args %q do not start with dockerd, so the image's "+
					"entrypoint would add its own TCP listener", daemon.Args)
			}
			var hosts []string
			for i, arg := range daemon.Args {
				if value, ok := strings.CutPrefix(arg, "--host="); ok {
					hosts = append(hosts, value)
				} else if (arg == "-H" || arg == "--host") && i+1 < len(daemon.Args) {
					hosts = append(hosts, daemon.Args[i+1])
				}
			}
			if len(hosts) != 1 || !strings.HasPrefix(hosts[0], "unix:///") {
				t.Fatalf("dockerd listens on %q, want exactly one unix socket", hosts)
			}
			if len(daemon.Ports) != 0 {
				t.Errorf("the daemon's container declares ports %+v", daemon.Ports)
			}
			dockerHost, ok := flag(manager.Args, "docker-host")
			if !ok || dockerHost != hosts[0] {
				t.Errorf("the manager's --docker-host is %q, the daemon listens on %q",
					dockerHost, hosts[0])
			}

			socketDir := strings.TrimPrefix(hosts[0][:strings.LastIndex(hosts[0], "/")], "unix://")
			managerMount, ok := mountOf(manager, socketDir)
			if !ok {
				t.Fatalf("the manager mounts nothing at the socket's directory %s", socketDir)
			}
			daemonMount, ok := mountOf(daemon, socketDir)
			if !ok || daemonMount.Name != managerMount.Name {
				t.Fatalf("the daemon does not mount the manager's volume %q at %s",
					managerMount.Name, socketDir)
			}
			if v := volume(t, pod, managerMount.Name); v.EmptyDir == nil {
				t.Errorf("the socket's volume %q is not an emptyDir: %+v", v.Name, v.VolumeSource)
			}
		})
	}
}

func TestWorkspaceIsTheSameClaimAtTheSamePathInBothContainers(t *testing.T) {
	claims := map[string]string{
		"chart with default values":     "runlet-workspace",
		"chart with non-default values": "shared-workspace",
		"kustomize default overlay":     "runlet-workspace",
	}
	for _, r := range renderings() {
		t.Run(r.name, func(t *testing.T) {
			objects := r.render(t)
			pod := podSpec(t, objects)
			manager, daemon := container(t, pod, managerName), container(t, pod, daemonName)

			root, ok := flag(manager.Args, "workspace-root")
			if !ok {
				t.Fatal("the manager has no --workspace-root")
			}
			managerMount, ok := mountOf(manager, root)
			if !ok {
				t.Fatalf("the manager mounts nothing at its --workspace-root %s", root)
			}
			daemonMount, ok := mountOf(daemon, root)
			if !ok || daemonMount.Name != managerMount.Name {
				t.Fatalf("the daemon does not mount the manager's volume %q at %s",
					managerMount.Name, root)
			}
			v := volume(t, pod, managerMount.Name)
			if v.PersistentVolumeClaim == nil || v.PersistentVolumeClaim.ClaimName != claims[r.name] {
				t.Fatalf("the workspace volume is %+v, want claim %s", v.VolumeSource, claims[r.name])
			}
			createdClaims := ofKind(objects, "PersistentVolumeClaim")
			created := slices.ContainsFunc(createdClaims, func(obj *unstructured.Unstructured) bool {
				return obj.GetName() == claims[r.name]
			})
			if wantCreated := claims[r.name] != "shared-workspace"; created != wantCreated {
				t.Errorf("claim %s rendered: %v, want %v", claims[r.name], created, wantCreated)
			}
		})
	}
}

func TestOnlyTheDaemonIsPrivileged(t *testing.T) {
	for _, r := range renderings() {
		t.Run(r.name, func(t *testing.T) {
			pod := podSpec(t, r.render(t))
			daemon := container(t, pod, daemonName)
			if daemon.SecurityContext == nil || daemon.SecurityContext.Privileged == nil ||
				!*daemon.SecurityContext.Privileged {
				t.Errorf("the daemon is not privileged: %+v", daemon.SecurityContext)
			}

			for _, c := range slices.Concat(pod.InitContainers, pod.Containers) {
				if c.Name == daemonName {
					continue
				}
				sc := c.SecurityContext
				if sc == nil {
					t.Errorf("container %s has no securityContext", c.Name)
					continue
				}
				switch {
				case sc.Privileged != nil && *sc.Privileged:
					t.Errorf("container %s is privileged", c.Name)
				case sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot,
					sc.RunAsUser == nil || *sc.RunAsUser == 0:
					t.Errorf("container %s may run as root: %+v", c.Name, sc)
				case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
					t.Errorf("container %s has a writable root filesystem", c.Name)
				case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
					t.Errorf("container %s allows privilege escalation", c.Name)
				case sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop,
					[]corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0:
					t.Errorf("container %s keeps capabilities: %+v", c.Name, sc.Capabilities)
				case sc.SeccompProfile == nil ||
					sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault:
					t.Errorf("container %s has seccomp profile %+v", c.Name, sc.SeccompProfile)
				}
			}
		})
	}
}

// The manager runs as non-root, so it reaches the daemon's socket and writes the workspace
// through its group: the pod's fsGroup and the group dockerd gives its socket.
func TestManagerGroupOwnsTheWorkspaceAndTheSocket(t *testing.T) {
	for _, r := range renderings() {
		t.Run(r.name, func(t *testing.T) {
			pod := podSpec(t, r.render(t))
			manager, daemon := container(t, pod, managerName), container(t, pod, daemonName)
			if manager.SecurityContext.RunAsGroup == nil {
				t.Fatal("the manager has no runAsGroup")
			}
			group := *manager.SecurityContext.RunAsGroup
			if pod.SecurityContext == nil || pod.SecurityContext.FSGroup == nil ||
				*pod.SecurityContext.FSGroup != group {
				t.Errorf("the pod's fsGroup is not the manager's group %d: %+v", group,
					pod.SecurityContext)
			}
			socketGroup, _ := flag(daemon.Args, "group")
			if want := formatInt(group); socketGroup != want {
				t.Errorf("dockerd's --group is %q, want the manager's group %s", socketGroup, want)
			}
		})
	}
}

func TestManagerWaitsForTheDaemonWithAStartupProbeOnReadyz(t *testing.T) {
	for _, r := range renderings() {
		t.Run(r.name, func(t *testing.T) {
			manager := container(t, podSpec(t, r.render(t)), managerName)
			probe := manager.StartupProbe
			if probe == nil || probe.HTTPGet == nil || probe.HTTPGet.Path != "/readyz" {
				t.Fatalf("the manager's startup probe is %+v, want GET /readyz", probe)
			}
			if waited := probe.PeriodSeconds * probe.FailureThreshold; waited < 60 {
				t.Errorf("the startup probe gives the daemon %ds, want at least a minute", waited)
			}
			address, _ := flag(manager.Args, "health-probe-bind-address")
			port := probe.HTTPGet.Port
			for _, p := range manager.Ports {
				if p.Name == port.String() || p.ContainerPort == port.IntVal {
					if ":"+formatInt(int64(p.ContainerPort)) != address {
						t.Errorf("the probe's port %d is not --health-probe-bind-address %s",
							p.ContainerPort, address)
					}
					return
				}
			}
			t.Errorf("the probe's port %s is not among the manager's ports", port.String())
		})
	}
}

func TestDaemonIsANativeSidecarUnlessTurnedOff(t *testing.T) {
	native := map[string]bool{
		"chart with default values":     true,
		"chart with non-default values": false,
		"kustomize default overlay":     true,
	}
	for _, r := range renderings() {
		t.Run(r.name, func(t *testing.T) {
			pod := podSpec(t, r.render(t))
			var inits, mains []string
			for _, c := range pod.InitContainers {
				inits = append(inits, c.Name)
			}
			for _, c := range pod.Containers {
				mains = append(mains, c.Name)
			}
			if native[r.name] {
				daemon := container(t, pod, daemonName)
				if !slices.Equal(inits, []string{daemonName}) || daemon.RestartPolicy == nil ||
					*daemon.RestartPolicy != corev1.ContainerRestartPolicyAlways {
					t.Errorf("want the daemon as the one init container with restartPolicy "+
						"Always; init containers %v, restartPolicy %v", inits, daemon.RestartPolicy)
				}
				if !slices.Equal(mains, []string{managerName}) {
					t.Errorf("containers are %v, want only the manager", mains)
				}
				return
			}
			if len(inits) != 0 || !slices.Equal(mains, []string{managerName, daemonName}) {
				t.Errorf("init containers %v and containers %v, want none and [manager dind]",
					inits, mains)
			}
		})
	}
}

func TestDaemonDataIsOnAClaimWhenAsked(t *testing.T) {
	for _, r := range renderings() {
		t.Run(r.name, func(t *testing.T) {
			objects := r.render(t)
			pod := podSpec(t, objects)
			mount, ok := mountOf(container(t, pod, daemonName), "/var/lib/docker")
			if !ok {
				t.Fatal("the daemon mounts nothing at /var/lib/docker")
			}
			v := volume(t, pod, mount.Name)
			if r.name != "chart with non-default values" {
				if v.EmptyDir == nil {
					t.Errorf("the daemon's data is on %+v, want an emptyDir", v.VolumeSource)
				}
				return
			}
			if v.PersistentVolumeClaim == nil {
				t.Fatalf("the daemon's data is on %+v, want a claim", v.VolumeSource)
			}
			var claim corev1.PersistentVolumeClaim
			into(t, find(t, objects, "PersistentVolumeClaim", v.PersistentVolumeClaim.ClaimName),
				&claim)
			if size := claim.Spec.Resources.Requests.Storage().String(); size != "30Gi" ||
				claim.Spec.StorageClassName == nil || *claim.Spec.StorageClassName != "fast" {
				t.Errorf("the daemon's claim asks for %s of class %v, want 30Gi of fast", size,
					claim.Spec.StorageClassName)
			}
		})
	}
}

func formatInt(n int64) string {
	return strconv.FormatInt(n, 10)
}
