"""The codes clients send (documents, channels, reasons, kinds, categories), with their
zh-CN and en labels, and what each action needs: discoverable in the OpenAPI document
and at `GET /v1/documents`."""
