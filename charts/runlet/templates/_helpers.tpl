{{/*
runlet.name is the chart's name, or nameOverride.
*/}}
{{- define "runlet.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
runlet.fullname starts every object's name: the release name when it already holds the
chart's name, "<release>-<chart>" otherwise. It is cut to leave room for the suffixes.
*/}}
{{- define "runlet.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "runlet.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "runlet.labels" -}}
helm.sh/chart: {{ include "runlet.chart" . }}
{{ include "runlet.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "runlet.selectorLabels" -}}
app.kubernetes.io/name: {{ include "runlet.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: manager
{{- end }}

{{- define "runlet.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (printf "%s-manager" (include "runlet.fullname" .)) .Values.serviceAccount.name }}
{{- else }}
{{- $message := "serviceAccount.name is required when serviceAccount.create is false" }}
{{- required $message .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "runlet.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "runlet.dindImage" -}}
{{- printf "%s:%s" .Values.dind.image.repository .Values.dind.image.tag }}
{{- end }}

{{/*
runlet.socketDir is the emptyDir, shared by the manager and the daemon, that holds the
daemon's unix socket. Nothing else is mounted there.
*/}}
{{- define "runlet.socketDir" -}}
/var/run/dind
{{- end }}

{{- define "runlet.dockerHost" -}}
unix://{{ include "runlet.socketDir" . }}/docker.sock
{{- end }}

{{- define "runlet.languagesDir" -}}
/etc/runlet
{{- end }}

{{- define "runlet.workspaceClaimName" -}}
{{- default (printf "%s-workspace" (include "runlet.fullname" .)) .Values.workspace.existingClaim }}
{{- end }}

{{- define "runlet.dockerDataClaimName" -}}
{{- $created := printf "%s-docker-data" (include "runlet.fullname" .) }}
{{- default $created .Values.dind.storage.existingClaim }}
{{- end }}
