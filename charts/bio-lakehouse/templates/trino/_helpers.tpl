{{/* Trino: the configuration files come from files/trino/etc (a symbolic link to the
repository's trino/, which helm follows); only what differs in a cluster is rendered here. */}}

{{/* jvm.config of trino/etc with the heap of this node: dict "root" $ "heap" "2G" */}}
{{- define "biolake.trino.jvmConfig" -}}
{{- range splitList "\n" (.root.Files.Get "files/trino/etc/jvm.config") }}
{{- $line := trim . }}
{{- if and $line (not (hasPrefix "-Xmx" $line)) (not (hasPrefix "#" $line)) }}
{{ $line }}
{{- end }}
{{- end }}
-Xmx{{ .heap }}
{{- end }}

{{/* config.properties: dict "root" $ "coordinator" bool */}}
{{- define "biolake.trino.configProperties" -}}
{{- $v := .root.Values.trino }}
{{- if .coordinator }}
coordinator=true
node-scheduler.include-coordinator={{ eq (int $v.workers.replicas) 0 }}
discovery.uri=http://localhost:{{ $v.port }}
query.max-memory={{ $v.coordinator.queryMaxMemory }}
query.max-memory-per-node={{ $v.coordinator.queryMaxMemory }}
{{- else }}
coordinator=false
discovery.uri={{ include "biolake.trinoUrl" .root }}
query.max-memory-per-node={{ $v.workers.queryMaxMemoryPerNode }}
{{- end }}
http-server.http.port={{ $v.port }}
access-control.config-files=/etc/trino/access-control.properties
{{- range $v.additionalConfigProperties }}
{{ . }}
{{- end }}
{{- end }}

{{/* The lake catalog: trino/etc/catalog/lakehouse.properties.template rendered for the S3 lake,
as app.serving.local_trino.render_catalog does for a local server */}}
{{- define "biolake.trino.catalog" -}}
{{- $filesystem := list
  "fs.native-s3.enabled=true"
  (printf "s3.region=%s" (include "biolake.s3Region" .))
  "s3.path-style-access=true"
  "s3.aws-access-key=${ENV:BIOLAKE_S3_ACCESS_KEY}"
  "s3.aws-secret-key=${ENV:BIOLAKE_S3_SECRET_KEY}"
  (printf "s3.endpoint=%s" (include "biolake.s3Endpoint" .)) | join "\n" }}
{{- $out := .Files.Get "files/trino/etc/catalog/lakehouse.properties.template" | replace "{lake_location}" (include "biolake.lakeUri" .) | replace "{filesystem}" $filesystem }}
{{- if .Values.trino.hiveMetastoreUri }}
{{- $out = regexReplaceAll "(?m)^hive\\.metastore=file$" $out "hive.metastore=thrift" }}
{{- $out = regexReplaceAll "(?m)^hive\\.metastore\\.catalog\\.dir=.*$" $out (printf "hive.metastore.uri=%s" .Values.trino.hiveMetastoreUri) }}
{{- end }}
{{- $out }}
{{- end }}

{{/* The pod of a Trino node: dict "root" $ "role" "coordinator"|"worker" */}}
{{- define "biolake.trino.pod" -}}
{{- $root := .root }}
{{- $v := $root.Values.trino }}
{{- $node := index $v (ternary "coordinator" "workers" (eq .role "coordinator")) }}
metadata:
  labels:
    {{- include "biolake.selectorLabels" (dict "root" $root "component" (printf "trino-%s" .role)) | nindent 4 }}
    {{- include "biolake.flowLabels" (list "s3-client") | nindent 4 }}
  annotations:
    checksum/config: {{ include (print $root.Template.BasePath "/trino/configmap.yaml") $root | sha256sum }}
    checksum/credentials: {{ include "biolake.credentialsChecksum" (dict "root" $root "parts" (list "s3")) }}
spec:
  serviceAccountName: {{ include "biolake.fullname" $root }}
  automountServiceAccountToken: false
  securityContext:
    {{- include "biolake.podSecurityContext" (dict "root" $root "override" $v.podSecurityContext) | nindent 4 }}
  {{- with include "biolake.imagePullSecrets" $root }}{{ . | nindent 2 }}{{ end }}
  containers:
    - name: trino
      image: {{ include "biolake.image" (dict "image" $root.Values.images.trino "root" $root) }}
      imagePullPolicy: {{ $root.Values.images.trino.pullPolicy }}
      env:
        {{- include "biolake.s3CredentialsEnv" $root | nindent 8 }}
      ports:
        - name: http
          containerPort: {{ $v.port }}
      startupProbe:
        httpGet:
          path: /v1/info
          port: http
        periodSeconds: 5
        failureThreshold: 60
      readinessProbe:
        httpGet:
          path: /v1/info
          port: http
        periodSeconds: 10
      livenessProbe:
        httpGet:
          path: /v1/info
          port: http
        periodSeconds: 20
        failureThreshold: 6
      securityContext:
        {{- include "biolake.containerSecurityContext" $root | nindent 8 }}
      resources:
        {{- toYaml $node.resources | nindent 8 }}
      volumeMounts:
        - name: config
          mountPath: /etc/trino
          readOnly: true
        - name: data
          mountPath: /data/trino
        {{- include "biolake.scratchMount" $root | nindent 8 }}
  volumes:
    - name: config
      projected:
        sources:
          - configMap:
              name: {{ include "biolake.trinoName" $root }}
              items:
                - {key: node.properties, path: node.properties}
                - {key: log.properties, path: log.properties}
                - {key: access-control.properties, path: access-control.properties}
                - {key: rules.json, path: rules.json}
                - {key: {{ printf "config-%s.properties" .role }}, path: config.properties}
                - {key: {{ printf "jvm-%s.config" .role }}, path: jvm.config}
          - configMap:
              name: {{ include "biolake.componentName" (dict "root" $root "component" "trino-catalog") }}
              items:
                - key: {{ printf "%s.properties" $v.catalog }}
                  path: {{ printf "catalog/%s.properties" $v.catalog }}
    - name: data
      emptyDir: {}
    {{- include "biolake.scratchVolume" $root | nindent 4 }}
{{- end }}
