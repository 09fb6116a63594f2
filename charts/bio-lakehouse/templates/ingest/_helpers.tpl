{{/* The pod of a project-image CronJob: dict "root" $ "name" n "args" list "env" (YAML list)
"resources" map "shm" bool (a memory-backed /dev/shm, which Chromium needs for the report) */}}
{{- define "biolake.ingest.pod" -}}
{{- $root := .root }}
containers:
  - name: {{ .name }}
    image: {{ include "biolake.image" (dict "image" $root.Values.images.project "root" $root) }}
    imagePullPolicy: {{ $root.Values.images.project.pullPolicy }}
    args: {{ toJson .args }}
    envFrom:
      {{- include "biolake.envFrom" $root | nindent 6 }}
    env:
      {{- include "biolake.s3CredentialsEnv" $root | nindent 6 }}
      {{- with .env }}
      {{- . | nindent 6 }}
      {{- end }}
    securityContext:
      {{- include "biolake.containerSecurityContext" $root | nindent 6 }}
    resources:
      {{- toYaml .resources | nindent 6 }}
    volumeMounts:
      {{- include "biolake.scratchMount" $root | nindent 6 }}
      {{- if .shm }}
      - name: shm
        mountPath: /dev/shm
      {{- end }}
volumes:
  {{- include "biolake.scratchVolume" $root | nindent 2 }}
  {{- if .shm }}
  - name: shm
    emptyDir:
      medium: Memory
      sizeLimit: 256Mi
  {{- end }}
{{- end }}

{{/* Whether ingest workers start an ETL Job after storing new objects ("true" or "") */}}
{{- define "biolake.etlTrigger" -}}
{{- if and .Values.etl.enabled .Values.etl.startAfterIngest }}true{{ end }}
{{- end }}

{{/* The env entry that turns the trigger on (ingest_workers/etl_trigger.py), as YAML list text */}}
{{- define "biolake.etlTriggerEnv" -}}
{{- if include "biolake.etlTrigger" . }}
- name: BIOLAKE_ETL_TRIGGER_CRONJOB
  value: {{ include "biolake.componentName" (dict "root" . "component" "etl") | quote }}
{{- end }}
{{- end }}
