"""The WhatsApp Cloud API webhook, mounted at ``/api/v1/webhooks/whatsapp`` (config/urls.py).

A plain Django view rather than a django-ninja endpoint: the signature is over the raw body,
which must be read untouched before any parsing. ``GET`` answers Meta's one-time verification
(echoes ``hub.challenge`` when ``hub.verify_token`` matches); ``POST`` takes status updates
and messages people send (answered through ``messaging.inbound``, like ``/api/v1/sms/inbound/whatsapp``),
and is refused (403) unless ``X-Hub-Signature-256`` matches.
"""

from __future__ import annotations

import hmac
import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from rangkul.messaging.inbound import inbound_handle, whatsapp_messages
from rangkul.messaging.queue import whatsapp_signature_valid, whatsapp_statuses, whatsapp_statuses_apply


@csrf_exempt
@require_http_methods(["GET", "POST"])
def whatsapp_webhook(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        token = request.GET.get("hub.verify_token", "")
        expected = settings.WHATSAPP_VERIFY_TOKEN
        if request.GET.get("hub.mode") == "subscribe" and expected and hmac.compare_digest(token, expected):
            return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
        return HttpResponseForbidden("verification failed", content_type="text/plain")
    raw = request.body
    if not whatsapp_signature_valid(raw, request.headers.get("X-Hub-Signature-256")):
        return HttpResponseForbidden("bad signature", content_type="text/plain")
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"code": "invalid", "message": "body is not JSON"}, status=400)
    if not isinstance(payload, dict):
        return JsonResponse({"code": "invalid", "message": "body is not a JSON object"}, status=400)
    changed = whatsapp_statuses_apply(whatsapp_statuses(payload))
    # Messages people send arrive at the same callback URL; they are answered as texts are.
    answered = [inbound_handle(message) for message in whatsapp_messages(payload, timezone.now())]
    return JsonResponse({"updated": changed, **({"answered": len(answered)} if answered else {})})
