"""The first education pages, published: two real-life examples and two guides. Staff edit them
from the back office; the amounts are placeholders filled from the rules in force."""

from django.db import migrations
from django.utils import timezone

PAGES = [
    {
        "slug": "ojek-kecelakaan",
        "position": 10,
        "occupation": "ojek_online",
        "title_id": "Pak Joko, pengemudi ojek, jatuh saat mengantar penumpang",
        "title_en": "Joko, a motorcycle taxi driver, falls while carrying a passenger",
        "body_id": (
            "Pak Joko membayar {price} sebulan untuk JKK dan JKM. Suatu pagi motornya tergelincir di jalan basah "
            "saat mengantar penumpang, dan kakinya patah.\n\n"
            "## Apa yang dibayar\n"
            "- Biaya rumah sakit dan pengobatan sampai sembuh, tanpa batas biaya.\n"
            "- Selama tidak bisa bekerja, ganti penghasilan setiap bulan.\n"
            "- Jika kecelakaan kerja menyebabkan kematian, ahli waris menerima {accident_death} "
            "(pada tingkat penghasilan terendah).\n\n"
            "## Yang dilakukan Pak Joko\n"
            "- Berobat dulu, sebaiknya di rumah sakit yang bekerja sama dengan BPJS Ketenagakerjaan.\n"
            "- Melapor ke kantor cabang secepatnya dengan KTP, kartu peserta dan keterangan kejadian.\n"
            "- Bertanya lewat telepon {hotline} bila ragu.\n\n"
            "{comparisons}"
        ),
        "body_en": (
            "Joko pays {price} a month for JKK and JKM. One morning his motorcycle slips on a wet road while he "
            "carries a passenger, and he breaks his leg.\n\n"
            "## What is paid\n"
            "- Hospital and treatment costs until he recovers, with no ceiling.\n"
            "- While he cannot work, a monthly replacement of his income.\n"
            "- If a work accident causes death, the heirs receive {accident_death} (at the lowest income level).\n\n"
            "## What Joko does\n"
            "- Gets treatment first, at a hospital working with BPJS Ketenagakerjaan if possible.\n"
            "- Reports to the branch office as soon as possible with his KTP, membership card and what happened.\n"
            "- Calls {hotline} when unsure.\n\n"
            "{comparisons}"
        ),
    },
    {
        "slug": "nelayan-meninggal",
        "position": 20,
        "occupation": "nelayan",
        "title_id": "Pak Udin, nelayan, meninggal karena sakit",
        "title_en": "Udin, a fisher, dies of an illness",
        "body_id": (
            "Pak Udin melaut setiap hari dan membayar iuran JKM {price} sebulan bersama JKK. Ia meninggal karena "
            "sakit, bukan kecelakaan kerja.\n\n"
            "## Yang diterima keluarganya\n"
            "- Santunan kematian {death}, termasuk biaya pemakaman {funeral}.\n"
            "- Beasiswa untuk anak sampai {scholarship} bila iuran sudah dibayar cukup lama.\n\n"
            "## Yang dilakukan ahli waris\n"
            "- Membawa KTP dan kartu peserta almarhum, akta kematian, kartu keluarga dan KTP sendiri ke kantor cabang.\n"
            "- Bertanya lewat telepon {hotline}."
        ),
        "body_en": (
            "Udin goes to sea every day and pays {price} a month for JKM together with JKK. He dies of an "
            "illness, not a work accident.\n\n"
            "## What his family receives\n"
            "- A death benefit of {death}, including {funeral} for the funeral.\n"
            "- Scholarships for the children up to {scholarship} once contributions were paid long enough.\n\n"
            "## What the heir does\n"
            "- Brings the member's KTP and card, the death certificate, the family card and their own KTP to the "
            "branch office.\n"
            "- Calls {hotline}."
        ),
    },
    {
        "slug": "cara-membayar",
        "position": 30,
        "occupation": "",
        "title_id": "Cara membayar iuran",
        "title_en": "How to pay contributions",
        "body_id": (
            "Perlindungan JKK dan JKM mulai dari {price} sebulan, atau {price_day} sehari.\n\n"
            "- Masuk di portal dengan nomor HP dan kode yang kami kirim.\n"
            "- Pilih “Bayar iuran” dan jumlah bulan.\n"
            "- Bayar dengan kode pembayaran di bank, minimarket atau dompet digital.\n"
            "- Bukti bayar dikirim lewat SMS.\n\n"
            "{comparisons}"
        ),
        "body_en": (
            "JKK and JKM protection starts at {price} a month, or {price_day} a day.\n\n"
            "- Log in to the portal with your mobile number and the code we text you.\n"
            "- Choose “Pay contributions” and the number of months.\n"
            "- Pay with the payment code at a bank, a minimarket or an e-wallet.\n"
            "- The receipt comes by SMS.\n\n"
            "{comparisons}"
        ),
    },
    {
        "slug": "setelah-kecelakaan",
        "position": 40,
        "occupation": "",
        "title_id": "Setelah kecelakaan kerja atau kematian",
        "title_en": "After a work accident or a death",
        "body_id": (
            "- Setelah kecelakaan kerja: berobat dulu dan tunjukkan kartu atau nomor peserta.\n"
            "- Laporkan kecelakaan ke kantor cabang secepatnya dengan KTP, kartu peserta dan keterangan kejadian.\n"
            "- Setelah peserta meninggal: ahli waris membawa KTP dan kartu almarhum, akta kematian, kartu keluarga "
            "dan KTP sendiri.\n"
            "- Pusat layanan: {hotline}."
        ),
        "body_en": (
            "- After a work accident: get treatment first and show the membership card or number.\n"
            "- Report the accident to the branch office as soon as possible with your KTP, card and what happened.\n"
            "- After a member's death: the heir brings the member's KTP and card, the death certificate, the family "
            "card and their own KTP.\n"
            "- Call centre: {hotline}."
        ),
    },
]


def pages_add(apps, schema_editor):
    page_model = apps.get_model("outreach", "EducationPage")
    now = timezone.now()
    for page in PAGES:
        if page_model.objects.filter(slug=page["slug"]).exists():
            continue
        page_model.objects.create(
            **page,
            published_title_id=page["title_id"],
            published_title_en=page["title_en"],
            published_body_id=page["body_id"],
            published_body_en=page["body_en"],
            published_at=now,
            updated_at=now,
        )


class Migration(migrations.Migration):
    dependencies = [("outreach", "0004_education_pages")]
    operations = [migrations.RunPython(pages_add, migrations.RunPython.noop)]
