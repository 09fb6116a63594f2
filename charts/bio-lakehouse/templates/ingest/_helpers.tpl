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
