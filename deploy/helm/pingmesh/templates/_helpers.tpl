{{/* The release's base name: the release name, with the chart name unless it already holds it. */}}
{{- define "pingmesh.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels selecting one component's pods: (dict "ctx" $ "component" "agent"). */}}
{{- define "pingmesh.selectorLabels" -}}
app.kubernetes.io/name: {{ .ctx.Chart.Name }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Every object's labels; the selector ones plus bookkeeping. */}}
{{- define "pingmesh.labels" -}}
{{ include "pingmesh.selectorLabels" . }}
app.kubernetes.io/part-of: pingmesh
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .ctx.Chart.Name .ctx.Chart.Version }}
{{- end -}}

{{- define "pingmesh.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "pingmesh.scheme" -}}
{{ ternary "https" "http" .Values.tls.enabled }}
{{- end -}}

{{/* In-cluster URLs; the certificate must name these hosts (values.yaml, tls). */}}
{{- define "pingmesh.controllerURL" -}}
{{ include "pingmesh.scheme" . }}://{{ include "pingmesh.fullname" . }}-controller.{{ .Release.Namespace }}.svc:{{ .Values.controller.port }}
{{- end -}}

{{- define "pingmesh.collectorURL" -}}
{{ include "pingmesh.scheme" . }}://{{ include "pingmesh.fullname" . }}-collector.{{ .Release.Namespace }}.svc:{{ .Values.collector.port }}
{{- end -}}

{{/* Where the Secrets are mounted; separate directories, as a Secret volume cannot hold another mount. */}}
{{- define "pingmesh.tokensDir" -}}/etc/pingmesh/tokens{{- end -}}
{{- define "pingmesh.tlsDir" -}}/etc/pingmesh/tls{{- end -}}

{{/* HTTPS flags of the controller and collector. */}}
{{- define "pingmesh.serverTLSArgs" -}}
{{- if .Values.tls.enabled -}}
- --tls-cert
- {{ include "pingmesh.tlsDir" . }}/tls.crt
- --tls-key
- {{ include "pingmesh.tlsDir" . }}/tls.key
{{- if .Values.tls.mutual }}
- --tls-client-ca
- {{ include "pingmesh.tlsDir" . }}/ca.crt
{{- end }}
{{- end }}
{{- end -}}

{{/* How the collector reaches an HTTPS controller for traceroutes: the fleet CA and, under
mutual TLS, its own certificate as the client's (issue it for serverAuth and clientAuth). */}}
{{- define "pingmesh.collectorClientTLSArgs" -}}
{{- if .Values.tls.enabled -}}
- --ca-file
- {{ include "pingmesh.tlsDir" . }}/ca.crt
{{- if .Values.tls.mutual }}
- --client-cert
- {{ include "pingmesh.tlsDir" . }}/tls.crt
- --client-key
- {{ include "pingmesh.tlsDir" . }}/tls.key
{{- end }}
{{- end }}
{{- end -}}

{{/*
Kubelet probes of a server on port name "http": plain HTTP, HTTPS (the kubelet skips
verification), or a TCP connect under mutual TLS, which refuses the kubelet's certificate-less
requests. (dict "ctx" $ "readiness" "/readyz")
*/}}
{{- define "pingmesh.serverProbes" -}}
{{- $tls := .ctx.Values.tls -}}
{{- if and $tls.enabled $tls.mutual -}}
readinessProbe: {tcpSocket: {port: http}, periodSeconds: 5}
livenessProbe: {tcpSocket: {port: http}, periodSeconds: 10}
{{- else -}}
readinessProbe: {httpGet: {path: {{ .readiness }}, port: http, scheme: {{ ternary "HTTPS" "HTTP" $tls.enabled }}}, periodSeconds: 5}
livenessProbe: {httpGet: {path: /healthz, port: http, scheme: {{ ternary "HTTPS" "HTTP" $tls.enabled }}}, periodSeconds: 10}
{{- end }}
{{- end -}}

{{/* Scheduling and image-pull fields of a component's pod spec: (dict "ctx" $ "values" .Values.agent). */}}
{{- define "pingmesh.scheduling" -}}
{{- with .ctx.Values.imagePullSecrets }}
imagePullSecrets: {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.nodeSelector }}
nodeSelector: {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations: {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.affinity }}
affinity: {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Combinations the schema cannot express; each fails rendering with the value to change. */}}
{{- define "pingmesh.validate" -}}
{{- if and .Values.tls.enabled (not .Values.tls.secretName) }}
{{- fail "tls.enabled needs tls.secretName: a Secret with tls.crt, tls.key and ca.crt" }}
{{- end }}
{{- if and (eq .Values.collector.store.type "sqlite") (gt (int .Values.collector.replicas) 1) }}
{{- fail "collector.store.type=sqlite holds one replica's database: set collector.replicas=1, or use postgres for more" }}
{{- end }}
{{- end -}}
