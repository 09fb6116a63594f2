{{/* The text of NOTES.txt, a named template so tests can render it (helm template skips NOTES) */}}
{{- define "biolake.notes" -}}
Bio-Lakehouse {{ .Chart.AppVersion }} is installed as "{{ .Release.Name }}" in namespace {{ .Release.Namespace }}.

Lake:     {{ include "biolake.lakeUri" . }} on {{ if eq .Values.objectStore.mode "bundled" }}the bundled SeaweedFS ({{ include "biolake.s3Endpoint" . }}){{ else }}{{ include "biolake.s3Endpoint" . }}{{ end }}
Trino:    {{ include "biolake.trinoUrl" . }} (catalog {{ .Values.trino.catalog }}; users analyst and biolake_writer)
Schedule ({{ .Values.person.timeZone }}):
{{- if .Values.oura.enabled }}
  Oura sync          {{ .Values.oura.schedule }}
{{- end }}
{{- if .Values.peloton.api.enabled }}
  Peloton API sync   {{ .Values.peloton.api.schedule }}
{{- end }}
{{- if .Values.peloton.inbox.enabled }}
  Peloton CSV inbox  {{ .Values.peloton.inbox.schedule }}  (drop CSVs under {{ include "biolake.lakeUri" . }}/inbox/peloton/)
{{- end }}
{{- if .Values.etl.enabled }}
  ETL + views        {{ .Values.etl.schedule }}
{{- end }}
{{- if .Values.report.enabled }}
  Weekly report      {{ .Values.report.schedule }} ({{ .Values.report.timeZone }})
{{- end }}

{{- $inboxStartsEtl := and .Values.peloton.inbox.enabled .Values.etl.enabled .Values.etl.startAfterIngest }}
The lake starts empty. Run the first ingest{{ if not $inboxStartsEtl }} and ETL{{ end }} now instead of waiting for the schedule:
{{- if .Values.peloton.inbox.enabled }}
  kubectl -n {{ .Release.Namespace }} create job --from=cronjob/{{ include "biolake.componentName" (dict "root" . "component" "peloton-inbox") }} first-inbox
{{- end }}
{{- if $inboxStartsEtl }}
(an ingest that stored something starts the ETL Job itself: do not start a second one)
{{- else if .Values.etl.enabled }}
  kubectl -n {{ .Release.Namespace }} create job --from=cronjob/{{ include "biolake.componentName" (dict "root" . "component" "etl") }} first-etl
{{- end }}
then check every gold view through Trino and the dashboard:
  helm test -n {{ .Release.Namespace }} {{ .Release.Name }}
{{- if .Values.oura.enabled }}

Connect Oura once (the tokens go to Secret {{ include "biolake.ouraTokenSecretName" . }}), from a machine with
kubectl access to this namespace:
  BIOLAKE_OURA_TOKEN_STORE=kubernetes BIOLAKE_OURA_K8S_SECRET={{ include "biolake.ouraTokenSecretName" . }} \
  BIOLAKE_OURA_K8S_NAMESPACE={{ .Release.Namespace }} biolake auth oura
{{- end }}
{{- if .Values.dashboard.enabled }}

Dashboard:
{{- if .Values.dashboard.ingress.enabled }}
{{- range .Values.dashboard.ingress.hosts }}
  http{{ if $.Values.dashboard.ingress.tls }}s{{ end }}://{{ . }}/
{{- end }}
{{- else }}
  kubectl -n {{ .Release.Namespace }} port-forward svc/{{ include "biolake.dashboardName" . }} 8080:{{ .Values.dashboard.service.port }}
  then open http://127.0.0.1:8080/
{{- end }}
{{- if eq .Values.dashboard.auth.mode "oauth" }}
  sign in with {{ .Values.dashboard.auth.oauth.provider }} OAuth; the redirect URI registered with the OAuth app: {{ .Values.dashboard.auth.oauth.redirectUri | default "https://<dashboard host>/login" }}
{{- else }}
  user:     kubectl -n {{ .Release.Namespace }} get secret {{ include "biolake.dashboardSecretName" . }} -o jsonpath='{.data.{{ .Values.dashboard.auth.usernameKey }}}' | base64 -d
  password: kubectl -n {{ .Release.Namespace }} get secret {{ include "biolake.dashboardSecretName" . }} -o jsonpath='{.data.{{ .Values.dashboard.auth.passwordKey }}}' | base64 -d
{{- end }}
{{- end }}

{{- /* ------------------------------------------------------------ warnings */}}
{{- $warnings := list }}
{{- $oauth := .Values.dashboard.auth.oauth }}
{{- if and .Values.dashboard.enabled (eq .Values.dashboard.auth.mode "oauth") (ne $oauth.provider "generic") (not $oauth.allowedUsers) }}
{{- $warnings = append $warnings (printf "dashboard.auth.oauth.allowedUsers is empty: anyone with a %s account can sign in and see your health data." $oauth.provider) }}
{{- end }}
{{- if and .Values.dashboard.ingress.enabled (not .Values.dashboard.ingress.tls) }}
{{- $warnings = append $warnings "dashboard.ingress.tls is empty: passwords and health data cross the network unencrypted." }}
{{- end }}
{{- if not .Values.networkPolicy.enabled }}
{{- $warnings = append $warnings "networkPolicy.enabled=false: any pod in the cluster can reach Trino and act as the biolake_writer user (Trino has no password authentication here)." }}
{{- end }}
{{- if or .Values.objectStore.credentials.secretKey .Values.oura.credentials.clientSecret .Values.peloton.api.credentials.refreshToken .Values.anthropic.apiKey .Values.dashboard.auth.password .Values.dashboard.auth.oauth.clientSecret }}
{{- $warnings = append $warnings "credentials were given as Helm values: they are stored in the release history; prefer existingSecret values." }}
{{- end }}
{{- if and (eq .Values.objectStore.mode "external") (hasPrefix "http://" .Values.objectStore.external.endpoint) }}
{{- $warnings = append $warnings (printf "objectStore.external.endpoint %s is plain HTTP: S3 credentials and data cross the network unencrypted." .Values.objectStore.external.endpoint) }}
{{- end }}
{{- if and (eq .Values.objectStore.mode "bundled") (not .Values.objectStore.bundled.persistence.enabled) }}
{{- $warnings = append $warnings "objectStore.bundled.persistence.enabled=false: the lake is on an emptyDir and is LOST whenever the object store's pod restarts or moves; use it for a trial only." }}
{{- end }}
{{- if has "0.0.0.0/0" .Values.networkPolicy.kubeApiServer.cidrs }}
{{- $warnings = append $warnings "networkPolicy.kubeApiServer.cidrs allows 0.0.0.0/0 on the API server ports: narrow it to your API server's address." }}
{{- end }}
{{- if $warnings }}

WARNING:
{{- range $warnings }}
  - {{ . }}
{{- end }}
{{- end }}
{{- end }}
