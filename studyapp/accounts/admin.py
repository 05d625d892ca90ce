from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from studyapp.accounts.models import User


@admin.register(User)
class StudyUserAdmin(UserAdmin):
    list_display = ("username", "email", "is_guest", "is_staff", "date_joined")
    list_filter = ("is_guest", "is_staff", "groups")
    fieldsets = UserAdmin.fieldsets + (("Study", {"fields": ("is_guest",)}),)
