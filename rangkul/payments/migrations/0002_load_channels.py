"""The payment channels Rangkul knows. Secrets are never here: only the name of the
environment variable that holds each one."""

from django.db import migrations

SANDBOX_LAYOUT = {
    "delimiter": ",",
    "columns": {
        "external_reference": "external_id",
        "payment_code": "payment_code",
        "amount_idr": "amount_idr",
        "paid_at": "paid_at",
    },
}

CHANNELS = [
    {
        "code": "sandbox",
        "name": "Sandbox (simulasi minimarket/bank)",
        "kind": "sandbox",
        "auth_style": "token_header",
        "secret_env": "RANGKUL_SANDBOX_CALLBACK_TOKEN",
        "callback_format": {
            "token_header": "X-Callback-Token",
            "fields": {
                "external_reference": "external_id",
                "payment_code": "payment_code",
                "amount": "amount_idr",
                "status": "status",
                "paid_at": "paid_at",
            },
            "paid_statuses": ["PAID"],
            "currency_field": "currency",
        },
        "settlement_layout": SANDBOX_LAYOUT,
    },
    {
        # Xendit calls with three documented bodies, one rule set ("shape") each, authenticated by
        # the X-Callback-Token header (the whole body is vouched for). Exactly-once keys: the
        # payment id (retail outlet, virtual account) or the invoice id (PAID then SETTLED is one
        # payment). Events that are not a payment (an invoice EXPIRED) are answered 200 and move
        # nothing, so Xendit does not retry them for a day.
        "code": "xendit",
        "name": "Xendit (minimarket, virtual account)",
        "kind": "minimarket",
        "auth_style": "token_header",
        "secret_env": "RANGKUL_CHANNEL_XENDIT_SECRET",
        "callback_format": {
            "token_header": "X-Callback-Token",
            "currency_field": "currency",
            "shapes": [
                {
                    # Fixed virtual account paid: no status field; the VA's external_id is the code.
                    "name": "virtual_account",
                    "detect": {"present": ["callback_virtual_account_id"]},
                    "fields": {
                        "external_reference": "payment_id",
                        "payment_code": "external_id",
                        "amount": "amount",
                        "paid_at": "transaction_timestamp",
                    },
                    "events": [{"when": {}, "means": "paid"}],
                },
                {
                    # Invoice: PAID, then SETTLED, or EXPIRED; the code is the invoice's external_id.
                    "name": "invoice",
                    "detect": {"present": ["id", "external_id", "status"], "absent": ["payment_code"]},
                    "fields": {
                        "external_reference": "id",
                        "payment_code": "external_id",
                        "amount": ["paid_amount", "amount"],
                        "status": "status",
                        "paid_at": "paid_at",
                    },
                    "events": [{"when": {"status": ["PAID", "SETTLED"]}, "means": "paid"}],
                    "otherwise": "ignore",
                },
                {
                    # Retail outlet (Alfamart, Indomaret) fixed payment code: COMPLETED; the code
                    # carries the merchant's 3-6 character prefix in front.
                    "name": "retail_outlet",
                    "detect": {"present": ["payment_code", "status"]},
                    "fields": {
                        "external_reference": "payment_id",
                        "payment_code": "payment_code",
                        "amount": "amount",
                        "status": "status",
                        "paid_at": "transaction_timestamp",
                    },
                    "payment_code_prefix": {"field": "prefix", "min": 3, "max": 6},
                    "events": [{"when": {"status": ["COMPLETED"]}, "means": "paid"}],
                    "otherwise": "ignore",
                },
            ],
        },
        "settlement_layout": {
            "delimiter": ",",
            "columns": {
                "external_reference": "Payment ID",
                "payment_code": "Payment Code",
                "amount_idr": "Amount",
                "paid_at": "Transaction Date",
            },
        },
    },
    {
        # Midtrans HTTP notifications: SHA512(order_id + status_code + gross_amount + server_key).
        # Only those three fields are signed, so the signed order id is the exactly-once key and
        # "paid" needs status_code 200 with settlement (or capture accepted by fraud detection);
        # a paid-looking status under another status code contradicts the signature (tampered).
        # A first paid notice, and a reversal, are confirmed with GET /v2/{order_id}/status.
        "code": "midtrans",
        "name": "Midtrans (e-wallet, bank transfer)",
        "kind": "ewallet",
        "auth_style": "signature_sha512",
        "secret_env": "RANGKUL_CHANNEL_MIDTRANS_SECRET",
        "callback_format": {
            "fields": {
                "external_reference": "order_id",
                "payment_code": "order_id",
                "amount": "gross_amount",
                "status": "transaction_status",
                "paid_at": ["settlement_time", "transaction_time"],
            },
            "currency_field": "currency",
            "events": [
                {"when": {"transaction_status": ["settlement"], "status_code": ["200"]}, "means": "paid"},
                {
                    "when": {"transaction_status": ["capture"], "fraud_status": ["accept"], "status_code": ["200"]},
                    "means": "paid",
                },
                {
                    "when": {"transaction_status": ["capture"], "fraud_status": ["challenge"], "status_code": ["201"]},
                    "means": "pending",
                },
                {"when": {"transaction_status": ["capture"], "fraud_status": ["deny"]}, "means": "reversal"},
                {"when": {"transaction_status": ["settlement", "capture"]}, "means": "tampered"},
                {
                    "when": {
                        "transaction_status": [
                            "deny",
                            "cancel",
                            "refund",
                            "partial_refund",
                            "chargeback",
                            "partial_chargeback",
                        ]
                    },
                    "means": "reversal",
                },
            ],
            "otherwise": "ignore",
            "status_check": "midtrans",
            "status_url": "https://api.midtrans.com/v2/{reference}/status",
        },
        "settlement_layout": {
            "delimiter": ",",
            "columns": {
                "external_reference": "Order ID",
                "payment_code": "Order ID",
                "amount_idr": "Amount",
                "paid_at": "Settlement Time",
            },
        },
    },
]


def load(apps, schema_editor):
    Channel = apps.get_model("payments", "Channel")
    for data in CHANNELS:
        Channel.objects.update_or_create(code=data["code"], defaults={k: v for k, v in data.items() if k != "code"})


def unload(apps, schema_editor):
    apps.get_model("payments", "Channel").objects.filter(code__in=[c["code"] for c in CHANNELS]).delete()


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_payments_channels_callbacks_settlement")]

    operations = [migrations.RunPython(load, unload)]
