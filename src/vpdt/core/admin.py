"""The admin site's titles. The audit log's admin page is in directory/admin.py: showing an
agency admin only their agency's entries needs the directory, which core does not import."""

from django.contrib import admin

admin.site.site_header = "Quản trị văn phòng điện tử vpdt"
admin.site.site_title = "vpdt"
admin.site.index_title = "Quản trị"
