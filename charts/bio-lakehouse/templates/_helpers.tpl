{{/* ---------------------------------------------------------------- names and labels */}}

{{- define "biolake.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "biolake.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "biolake.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "biolake.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/* A component's resource name: <fullname>-<component>, at most 52 characters so CronJob
names leave room for the Job suffix Kubernetes appends */}}
{{- define "biolake.componentName" -}}
{{- printf "%s-%s" (include "biolake.fullname" .root) .component | trunc 52 | trimSuffix "-" }}
{{- end }}

{{- define "biolake.selectorLabels" -}}
app.kubernetes.io/name: {{ include "biolake.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "biolake.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "biolake.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: bio-lakehouse
{{- end }}

{{/* Labels the NetworkPolicies select on: which flows a pod needs (a list of names among
s3-client, trino-client, internet, kube-api) */}}
{{- define "biolake.flowLabels" -}}
{{- $lines := list }}
{{- range . }}
{{- $lines = append $lines (printf "bio-lakehouse.io/%s: \"true\"" .) }}
{{- end }}
{{- join "\n" $lines }}
{{- end }}

{{/* ---------------------------------------------------------------- images */}}

{{/* image: dict "image" .Values.images.<x> "root" $ */}}
{{- define "biolake.image" -}}
{{- printf "%s:%s" .image.repository (default .root.Chart.AppVersion .image.tag) }}
{{- end }}

{{/* A pod spec's imagePullSecrets, or nothing (used as: with include ... nindent) */}}
{{- define "biolake.imagePullSecrets" -}}
{{- with .Values.imagePullSecrets -}}
imagePullSecrets:
{{- range . }}
  - name: {{ if kindIs "map" . }}{{ .name }}{{ else }}{{ . }}{{ end }}
{{- end }}
{{- end }}
{{- end }}

{{/* ---------------------------------------------------------------- security */}}

{{/* podSecurityContext: dict "root" $ "override" <map or nil> */}}
{{- define "biolake.podSecurityContext" -}}
{{- toYaml (mergeOverwrite (deepCopy .root.Values.podSecurityContext) (deepCopy (default (dict) .override))) }}
{{- end }}

{{- define "biolake.containerSecurityContext" -}}
{{- toYaml .Values.containerSecurityContext }}
{{- end }}

{{/* The writable scratch every container gets (the root file system is read-only) */}}
{{- define "biolake.scratchVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.scratchSizeLimit }}
{{- end }}

{{- define "biolake.scratchMount" -}}
- name: tmp
  mountPath: /tmp
{{- end }}

{{/* ---------------------------------------------------------------- secrets */}}

{{/* A generated secret value that survives upgrades: the given value, else the one stored in
the existing Secret, else a random one. dict "root" $ "secret" name "key" key "value" v */}}
{{- define "biolake.secretValue" -}}
{{- if .value }}
{{- .value }}
{{- else }}
{{- $existing := lookup "v1" "Secret" .root.Release.Namespace .secret }}
{{- if and $existing (hasKey (default (dict) $existing.data) .key) }}
{{- index $existing.data .key | b64dec }}
{{- else }}
{{- randAlphaNum 32 }}
{{- end }}
{{- end }}
{{- end }}

{{/* The checksum/credentials annotation: a hash of the credential values a pod reads, so a
changed password or Secret name rolls exactly the pods that use it. Generated values are left
out on purpose: they are random at install (each render differs, so every Deployment would get
its own hash and the first unrelated upgrade would restart them all) and never change after.
dict "root" $ "parts" (list "s3" "dashboard" "anthropic") */}}
{{- define "biolake.credentialsChecksum" -}}
{{- $v := .root.Values }}
{{- $sources := dict "s3" $v.objectStore.credentials "dashboard" $v.dashboard.auth "anthropic" $v.anthropic }}
{{- $inputs := dict }}
{{- range .parts }}
{{- $_ := set $inputs . (index $sources .) }}
{{- end }}
{{- toJson $inputs | sha256sum }}
{{- end }}

{{- define "biolake.s3SecretName" -}}
{{- default (include "biolake.componentName" (dict "root" . "component" "s3")) .Values.objectStore.credentials.existingSecret }}
{{- end }}

{{- define "biolake.ouraSecretName" -}}
{{- default (include "biolake.componentName" (dict "root" . "component" "oura")) .Values.oura.credentials.existingSecret }}
{{- end }}

{{- define "biolake.pelotonSecretName" -}}
{{- default (include "biolake.componentName" (dict "root" . "component" "peloton")) .Values.peloton.api.credentials.existingSecret }}
{{- end }}

{{- define "biolake.anthropicSecretName" -}}
{{- default (include "biolake.componentName" (dict "root" . "component" "anthropic")) .Values.anthropic.existingSecret }}
{{- end }}

{{- define "biolake.anthropicEnabled" -}}
{{- if or .Values.anthropic.existingSecret .Values.anthropic.apiKey }}true{{ end }}
{{- end }}

{{- define "biolake.dashboardSecretName" -}}
{{- default (include "biolake.componentName" (dict "root" . "component" "dashboard-auth")) .Values.dashboard.auth.existingSecret }}
{{- end }}

{{- define "biolake.ouraTokenSecretName" -}}
{{- default (include "biolake.componentName" (dict "root" . "component" "oura-tokens")) .Values.oura.tokenSecretName }}
{{- end }}

{{- define "biolake.pelotonTokenSecretName" -}}
{{- default (include "biolake.componentName" (dict "root" . "component" "peloton-tokens")) .Values.peloton.api.tokenSecretName }}
{{- end }}

{{/* ---------------------------------------------------------------- wiring */}}

{{- define "biolake.objectStoreName" -}}
{{- include "biolake.componentName" (dict "root" . "component" "object-store") }}
{{- end }}

{{- define "biolake.s3Endpoint" -}}
{{- if eq .Values.objectStore.mode "bundled" }}
{{- printf "http://%s:%d" (include "biolake.objectStoreName" .) (int .Values.objectStore.bundled.port) }}
{{- else }}
{{- .Values.objectStore.external.endpoint | trimSuffix "/" }}
{{- end }}
{{- end }}

{{/* The TCP port of the S3 endpoint, for NetworkPolicies */}}
{{- define "biolake.s3Port" -}}
{{- if eq .Values.objectStore.mode "bundled" }}
{{- .Values.objectStore.bundled.port }}
{{- else }}
{{- $url := urlParse .Values.objectStore.external.endpoint }}
{{- $hostPort := splitList ":" $url.host }}
{{- if gt (len $hostPort) 1 }}{{ last $hostPort }}{{ else if eq $url.scheme "http" }}80{{ else }}443{{ end }}
{{- end }}
{{- end }}

{{- define "biolake.s3Region" -}}
{{- if eq .Values.objectStore.mode "bundled" }}us-east-1{{ else }}{{ .Values.objectStore.external.region }}{{ end }}
{{- end }}

{{- define "biolake.lakeUri" -}}
{{- printf "s3://%s/%s" .Values.lake.bucket (.Values.lake.prefix | trimAll "/") | trimSuffix "/" }}
{{- end }}

{{- define "biolake.trinoName" -}}
{{- include "biolake.componentName" (dict "root" . "component" "trino") }}
{{- end }}

{{- define "biolake.trinoUrl" -}}
{{- printf "http://%s:%d" (include "biolake.trinoName" .) (int .Values.trino.port) }}
{{- end }}

{{- define "biolake.dashboardName" -}}
{{- include "biolake.componentName" (dict "root" . "component" "dashboard") }}
{{- end }}

{{/* The S3 credentials as the variables both biolake (BIOLAKE_S3_*) and Trino's catalog read */}}
{{- define "biolake.s3CredentialsEnv" -}}
- name: BIOLAKE_S3_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "biolake.s3SecretName" . }}
      key: {{ .Values.objectStore.credentials.accessKeyKey }}
- name: BIOLAKE_S3_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "biolake.s3SecretName" . }}
      key: {{ .Values.objectStore.credentials.secretKeyKey }}
{{- end }}

{{- define "biolake.anthropicEnv" -}}
{{- if include "biolake.anthropicEnabled" . }}
- name: BIOLAKE_ANTHROPIC_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "biolake.anthropicSecretName" . }}
      key: {{ .Values.anthropic.apiKeyKey }}
{{- end }}
{{- end }}

{{/* The settings every biolake container shares (a ConfigMap, see configmap-env.yaml) */}}
{{- define "biolake.envFrom" -}}
- configMapRef:
    name: {{ include "biolake.componentName" (dict "root" . "component" "env") }}
{{- end }}

{{- define "biolake.envChecksum" -}}
checksum/env: {{ include (print .Template.BasePath "/configmap-env.yaml") . | sha256sum }}
{{- end }}

{{/* ---------------------------------------------------------------- CronJobs */}}

{{/* A CronJob around a pod spec. dict "root" $ "component" name "schedule" s "timeZone" tz
"overrides" map "flows" list "serviceAccount" name "automountToken" bool "annotations" map
"pod" (pod spec YAML: containers and volumes); the Job settings come from cronJobDefaults,
overridden by "overrides" */}}
{{- define "biolake.cronJob" -}}
{{- $root := .root }}
{{- $s := mergeOverwrite (deepCopy $root.Values.cronJobDefaults) (deepCopy (default (dict) .overrides)) }}
apiVersion: batch/v1
kind: CronJob
metadata:
  name: {{ include "biolake.componentName" (dict "root" $root "component" .component) }}
  labels:
    {{- include "biolake.labels" (dict "root" $root "component" .component) | nindent 4 }}
spec:
  schedule: {{ .schedule | quote }}
  timeZone: {{ .timeZone | quote }}
  concurrencyPolicy: {{ $s.concurrencyPolicy }}
  startingDeadlineSeconds: {{ $s.startingDeadlineSeconds }}
  successfulJobsHistoryLimit: {{ $s.successfulJobsHistoryLimit }}
  failedJobsHistoryLimit: {{ $s.failedJobsHistoryLimit }}
  jobTemplate:
    metadata:
      labels:
        {{- include "biolake.labels" (dict "root" $root "component" .component) | nindent 8 }}
    spec:
      backoffLimit: {{ $s.backoffLimit }}
      activeDeadlineSeconds: {{ $s.activeDeadlineSeconds }}
      template:
        metadata:
          labels:
            {{- include "biolake.selectorLabels" (dict "root" $root "component" .component) | nindent 12 }}
            {{- include "biolake.flowLabels" .flows | nindent 12 }}
          annotations:
            {{- include "biolake.envChecksum" $root | nindent 12 }}
            {{- range $key, $value := .annotations }}
            {{ $key }}: {{ $value | quote }}
            {{- end }}
        spec:
          restartPolicy: Never
          serviceAccountName: {{ .serviceAccount }}
          automountServiceAccountToken: {{ .automountToken | default false }}
          securityContext:
            {{- include "biolake.podSecurityContext" (dict "root" $root) | nindent 12 }}
          {{- with include "biolake.imagePullSecrets" $root }}{{ . | nindent 10 }}{{ end }}
          {{- .pod | nindent 10 }}
{{- end }}

{{/* ---------------------------------------------------------------- validation */}}

{{/* Fails the render with every problem found, each naming the value to change */}}
{{- define "biolake.validateValues" -}}
{{- $errors := list }}
{{- $v := .Values }}
{{- if not (has $v.objectStore.mode (list "bundled" "external")) }}
{{- $errors = append $errors (printf "objectStore.mode: must be 'bundled' or 'external', got %q" $v.objectStore.mode) }}
{{- end }}
{{- if eq $v.objectStore.mode "external" }}
{{- if not $v.objectStore.external.endpoint }}
{{- $errors = append $errors "objectStore.external.endpoint: set the S3 endpoint URL (e.g. https://s3.us-east-1.amazonaws.com) when objectStore.mode=external" }}
{{- else if not (regexMatch "^https?://[^/]+/?$" $v.objectStore.external.endpoint) }}
{{- $errors = append $errors (printf "objectStore.external.endpoint: must be http(s)://host[:port] without a path, got %q" $v.objectStore.external.endpoint) }}
{{- end }}
{{- if and (not $v.objectStore.credentials.existingSecret) (not (and $v.objectStore.credentials.accessKey $v.objectStore.credentials.secretKey)) }}
{{- $errors = append $errors "objectStore.credentials: an external S3 endpoint needs objectStore.credentials.existingSecret (recommended) or both accessKey and secretKey" }}
{{- end }}
{{- end }}
{{- if not (regexMatch "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$" $v.lake.bucket) }}
{{- $errors = append $errors (printf "lake.bucket: %q is not a valid S3 bucket name (3-63 lower-case letters, digits, dots, hyphens)" $v.lake.bucket) }}
{{- end }}
{{- if not (regexMatch "^[A-Za-z0-9_.-]{1,64}$" $v.person.id) }}
{{- $errors = append $errors (printf "person.id: %q must be 1-64 letters, digits, '_', '.' or '-'" $v.person.id) }}
{{- end }}
{{- if and $v.oura.enabled (not $v.oura.credentials.existingSecret) (not (and $v.oura.credentials.clientId $v.oura.credentials.clientSecret)) }}
{{- $errors = append $errors "oura.credentials: oura.enabled needs oura.credentials.existingSecret or both clientId and clientSecret (your app at https://cloud.ouraring.com/oauth/applications)" }}
{{- end }}
{{- if and $v.peloton.api.enabled (not $v.peloton.api.credentials.existingSecret) (not $v.peloton.api.credentials.refreshToken) }}
{{- $errors = append $errors "peloton.api.credentials: peloton.api.enabled needs peloton.api.credentials.existingSecret or refreshToken" }}
{{- end }}
{{- if and $v.dashboard.enabled $v.dashboard.ingress.enabled (not $v.dashboard.ingress.hosts) }}
{{- $errors = append $errors "dashboard.ingress.hosts: list at least one host name when dashboard.ingress.enabled" }}
{{- end }}
{{- /* the dashboard's authentication is always on (the pod binds 0.0.0.0); oauth needs what `biolake serve` checks at start */}}
{{- $auth := $v.dashboard.auth }}
{{- if and $v.dashboard.enabled (eq $auth.mode "oauth") }}
{{- $o := $auth.oauth }}
{{- if not $auth.existingSecret }}
{{- if not $o.clientId }}
{{- $errors = append $errors "dashboard.auth.oauth.clientId: dashboard.auth.mode=oauth needs the OAuth app's client id, or dashboard.auth.existingSecret (recommended) holding it under dashboard.auth.oauthClientIdKey" }}
{{- end }}
{{- if and (ne $o.provider "auth_code") (not $o.clientSecret) }}
{{- $errors = append $errors "dashboard.auth.oauth.clientSecret: dashboard.auth.mode=oauth needs the OAuth app's client secret, or dashboard.auth.existingSecret (recommended) holding it under dashboard.auth.oauthClientSecretKey" }}
{{- end }}
{{- end }}
{{- $needs := list }}
{{- if eq $o.provider "generic" }}{{ $needs = list "authorizeUrl" "tokenUrl" "userUrl" }}
{{- else if eq $o.provider "auth_code" }}{{ $needs = list "authorizeUrl" "tokenUrl" }}
{{- else if eq $o.provider "password" }}{{ $needs = list "tokenUrl" }}
{{- end }}
{{- range $needs }}
{{- if not (get $o .) }}
{{- $errors = append $errors (printf "dashboard.auth.oauth.%s: the %s OAuth provider needs the identity provider's %s endpoint URL" . $o.provider (get (dict "authorizeUrl" "authorization" "tokenUrl" "token" "userUrl" "userinfo") .)) }}
{{- end }}
{{- end }}
{{- end }}
{{- if and (gt (int $v.trino.workers.replicas) 0) (not $v.trino.coordinator.queryMaxMemory) }}
{{- $errors = append $errors "trino.coordinator.queryMaxMemory: required" }}
{{- end }}
{{- if and $v.etl.enabled (lt (int $v.etl.executor.instances) 1) }}
{{- $errors = append $errors "etl.executor.instances: at least 1 executor pod" }}
{{- end }}
{{- if $errors }}
{{- fail (printf "\n\nbio-lakehouse: invalid values\n  - %s\n" (join "\n  - " $errors)) }}
{{- end }}
{{- end }}
