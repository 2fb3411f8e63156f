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
