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
        },
        "settlement_layout": SANDBOX_LAYOUT,
    },
    {
        # Xendit retail outlets (Indomaret, Alfamart) and virtual accounts: token header callbacks.
        "code": "xendit",
        "name": "Xendit (minimarket, virtual account)",
        "kind": "minimarket",
        "auth_style": "token_header",
        "secret_env": "RANGKUL_CHANNEL_XENDIT_SECRET",
        "callback_format": {
            "token_header": "X-Callback-Token",
            "fields": {
                "external_reference": "payment_id",
                "payment_code": "payment_code",
                "amount": "amount",
                "status": "status",
                "paid_at": "transaction_timestamp",
            },
            "paid_statuses": ["COMPLETED", "PAID", "SETTLED"],
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
        "code": "midtrans",
        "name": "Midtrans (e-wallet, bank transfer)",
        "kind": "ewallet",
        "auth_style": "signature_sha512",
        "secret_env": "RANGKUL_CHANNEL_MIDTRANS_SECRET",
        "callback_format": {
            "fields": {
                "external_reference": "transaction_id",
                "payment_code": "order_id",
                "amount": "gross_amount",
                "status": "transaction_status",
                "paid_at": "settlement_time",
            },
            "paid_statuses": ["settlement", "capture"],
        },
        "settlement_layout": {
            "delimiter": ",",
            "columns": {
                "external_reference": "Transaction ID",
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
