{{- define "kontroler.name" -}}{{ .Release.Name | trunc 50 | trimSuffix "-" }}{{- end -}}
{{- define "kontroler.labels" -}}
app.kubernetes.io/name: kontroler
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}
{{- define "kontroler.image" -}}{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}{{- end -}}
{{- define "kontroler.webhookService" -}}{{ include "kontroler.name" . }}-webhook{{- end -}}
{{- /* How the webhook gets its certificate: cert-manager, an existing Secret, or the controller (default). */}}
{{- define "kontroler.webhookCertMode" -}}
{{- if .Values.webhook.certManager.enabled }}cert-manager{{ else if .Values.webhook.existingSecret }}existing-secret{{ else }}controller{{ end -}}
{{- end -}}
{{- define "kontroler.webhookSecret" -}}
{{- if .Values.webhook.existingSecret }}{{ .Values.webhook.existingSecret }}{{ else if .Values.webhook.certManager.enabled }}{{ include "kontroler.name" . }}-webhook-tls{{ else }}{{ include "kontroler.name" . }}-webhook-cert{{ end -}}
{{- end -}}
{{- define "kontroler.webhookConfig" -}}{{ include "kontroler.name" . }}-{{ .Release.Namespace }}{{- end -}}
{{- /* DATABASE_URL (from a Secret, or built from host/port/database/user) and PGPASSWORD from a Secret. */}}
{{- define "kontroler.databaseEnv" -}}
{{- $pg := .Values.postgresql -}}
{{- if $pg.existingSecret -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef: { name: {{ $pg.existingSecret | quote }}, key: {{ $pg.urlKey | quote }} }
{{- else }}
{{- if not $pg.host }}{{ fail "postgresql: set existingSecret (a Secret with the connection URL) or host (with user, database and passwordSecret)" }}{{ end }}
{{- if not $pg.passwordSecret.name }}{{ fail "postgresql.passwordSecret.name: the Secret holding the password of postgresql.user is needed with postgresql.host" }}{{ end -}}
- name: DATABASE_URL
  value: {{ printf "postgres://%s@%s:%d/%s?sslmode=%s" (urlquery $pg.user) $pg.host (int $pg.port) (urlquery $pg.database) $pg.sslmode | quote }}
# node-postgres reads the password from PGPASSWORD when the URL has none.
- name: PGPASSWORD
  valueFrom:
    secretKeyRef: { name: {{ $pg.passwordSecret.name | quote }}, key: {{ $pg.passwordSecret.key | quote }} }
{{- end }}
{{- end -}}
{{- define "kontroler.secretEnv" -}}
{{- /* (list "ENV_NAME" .ref): an env var from { name, key } when name is set. */}}
{{- $ref := index . 1 -}}
{{- if $ref.name -}}
- name: {{ index . 0 }}
  valueFrom:
    secretKeyRef: { name: {{ $ref.name | quote }}, key: {{ $ref.key | quote }} }
{{- end }}
{{- end -}}
{{- define "kontroler.taskServerUrl" -}}
{{- if .Values.controller.taskServerUrl }}{{ .Values.controller.taskServerUrl }}{{ else if .Values.server.enabled }}http://{{ include "kontroler.name" . }}-server.{{ .Release.Namespace }}.svc:{{ .Values.server.service.port }}{{ end -}}
{{- end -}}
