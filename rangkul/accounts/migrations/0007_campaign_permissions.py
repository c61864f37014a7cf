# Campaign permissions (run and approve outreach campaigns).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0006_otp_client_hash'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='user',
            options={'permissions': [('access_office', 'Can use the back office'), ('reveal_nik', 'Can reveal a full NIK (audited)'), ('register_worker', 'Can register workers'), ('view_all_regions', 'Can see workers in every region'), ('manage_partner', 'Can manage a partner organisation and its imports'), ('manage_sponsorship', 'Can manage sponsorships and their cohorts'), ('collect_contributions', 'Can collect contributions as a field agent'), ('process_claims', 'Can prepare claims'), ('approve_claims', 'Can approve claims and payouts'), ('approve_adjustments', 'Can approve ledger adjustments and payment exceptions'), ('view_analytics', 'Can view aggregate dashboards and exports'), ('view_audit_log', 'Can browse the audit log'), ('handle_payments', 'Can upload settlement files and propose how to resolve payment exceptions'), ('approve_payments', 'Can approve or send back payment exception resolutions'), ('run_campaigns', 'Can create outreach campaigns'), ('approve_campaigns', 'Can approve outreach campaigns made by someone else')], 'verbose_name': 'user', 'verbose_name_plural': 'users'},
        ),
    ]
