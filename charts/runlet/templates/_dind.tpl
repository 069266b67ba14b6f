{{/*
runlet.dindContainer is the Docker daemon: an init container that keeps running when
dind.nativeSidecar is true, a plain container otherwise. The first argument "dockerd" makes
the image's entrypoint start the daemon with exactly these flags, so it listens on the unix
socket in the shared volume and on no TCP port. The socket's group is the manager's, which
runs as non-root.
*/}}
{{- define "runlet.dindContainer" -}}
- name: dind
  image: {{ include "runlet.dindImage" . }}
  imagePullPolicy: {{ .Values.dind.image.pullPolicy }}
  {{- if .Values.dind.nativeSidecar }}
  restartPolicy: Always
  {{- end }}
  args:
    - dockerd
    - --host={{ include "runlet.dockerHost" . }}
    - --group={{ .Values.securityContext.runAsGroup }}
    {{- with .Values.dind.extraArgs }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  securityContext:
    # The daemon creates namespaces, cgroups and mounts for the execution containers.
    privileged: true
  resources:
    {{- toYaml .Values.dind.resources | nindent 4 }}
  volumeMounts:
    - name: docker-socket
      mountPath: {{ include "runlet.socketDir" . }}
    - name: workspace
      mountPath: {{ .Values.workspace.mountPath }}
    - name: docker-data
      mountPath: /var/lib/docker
{{- end }}
