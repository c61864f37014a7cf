from django.urls import path

from rangkul.contributions import member_views, views

app_name = "contributions"

urlpatterns = [
    path("", views.simulator, name="simulator"),
    path("saya/", member_views.my_status, name="my_status"),
    path("bayar/", member_views.my_pay, name="my_pay"),
    path("tagihan/", member_views.my_bill, name="my_bill"),
    path("kartu/", member_views.my_card, name="my_card"),
    path("kartu.pdf", member_views.my_card_pdf, name="my_card_pdf"),
]
