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
{{- define "kontroler.webhookSecret" -}}{{ .Values.webhook.existingSecret | default (printf "%s-webhook-tls" (include "kontroler.name" .)) }}{{- end -}}
