from asgiref.sync import async_to_sync
from django.core.management.base import BaseCommand

from shoutout import expiry


class Command(BaseCommand):
    help = (
        "Expire every state object whose TTL has passed and send 'expired' to its receivers. "
        "Server processes do this every SHOUTOUT['EXPIRY_SWEEP_INTERVAL'] seconds; run this "
        "command periodically when that is 0."
    )

    def handle(self, *args, **options):
        expired = async_to_sync(expiry.sweep)()
        self.stdout.write(f"Expired {len(expired)} state objects.")
