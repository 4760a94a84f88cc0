import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib import admin, messages
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _

from geodata.forms import LayerUploadForm
from geodata.importers import LayerImportError, import_layer
from geodata.models import Feature, ImportJob, Layer


@admin.register(Layer)
class LayerAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "city",
        "kind",
        "version",
        "is_current",
        "feature_count",
        "is_public",
        "is_synthetic",
        "imported_at",
    )
    list_filter = ("city", "kind", "is_current", "is_synthetic")
    search_fields = ("name", "source")
    readonly_fields = ("version", "is_current", "feature_count", "imported_at")
    change_list_template = "geodata/layer_changelist.html"

    def get_urls(self):
        return [
            path(
                "upload/", self.admin_site.admin_view(self.upload_view), name="geodata_layer_upload"
            ),
            *super().get_urls(),
        ]

    def upload_view(self, request):
        """Upload a file: the same importer as `manage.py import_layer`."""
        form = LayerUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            upload = data["file"]
            if upload.size > settings.IMPORT_SYNC_MAX_BYTES:
                from geodata.import_jobs import import_job_create

                job = import_job_create(
                    city=data["city"], kind=data["kind"], name=data["name"], upload=upload,
                    options={"srid": data["srid"], "make_valid": data["make_valid"],
                             "source": data["source"], "licence": data["licence"],
                             "name_format": data["name_format"]},
                    user=request.user,
                )  # fmt: skip
                messages.info(request, _("A large file: it is imported in the background."))
                return redirect("admin:geodata_importjob_change", job.pk)
            with tempfile.TemporaryDirectory() as folder:
                target = Path(folder) / Path(upload.name).name
                with target.open("wb") as out:
                    for chunk in upload.chunks():
                        out.write(chunk)
                try:
                    report = import_layer(
                        city=data["city"],
                        kind=data["kind"],
                        path=target,
                        name=data["name"] or None,
                        source_srid=data["srid"],
                        make_valid=data["make_valid"],
                        source=data["source"],
                        licence=data["licence"],
                        name_format=data["name_format"] or None,
                    )
                except LayerImportError as exc:
                    form.add_error("file", str(exc))
                else:
                    messages.success(request, f"{report.layer}: {report.summary()}")
                    return redirect("admin:geodata_layer_changelist")
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "title": _("Import a layer"),
            "opts": self.model._meta,
        }
        return render(
            request, "geodata/layer_upload.html", context, status=400 if form.errors else 200
        )


@admin.register(Feature)
class FeatureAdmin(admin.ModelAdmin):
    list_display = ("name", "layer", "population")
    list_filter = ("layer__city", "layer__kind")
    search_fields = ("name",)
    raw_id_fields = ("layer",)


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    """Background imports: their state, progress and the importer's summary or refusal."""

    list_display = ("filename", "city", "kind", "state", "worker_lost", "done", "total",
                    "created_at")  # fmt: skip
    list_filter = ("city", "state")
    readonly_fields = [f.name for f in ImportJob._meta.fields]
    actions = ["run_again"]

    @admin.display(boolean=True, description=_("worker lost"))
    def worker_lost(self, job) -> bool:
        """Running without a report, or queued with no worker, for EXPORT_STUCK_SECONDS: it
        will not finish (geodata.jobs.job_stuck). Upload the file again."""
        from geodata.jobs import job_stuck

        return job_stuck(job)

    @admin.action(description=_("Run the selected imports again (failed, or worker lost)"))
    def run_again(self, request, queryset):
        """From the upload each kept: an import that failed for the server's reasons, or
        whose worker was lost (geodata.jobs.job_run_again). Others are left, and counted."""
        from geodata.import_jobs import import_run_again

        jobs = list(queryset.select_related("city"))
        again = [job for job in jobs if import_run_again(job=job, actor=request.user)]
        if again:
            self.message_user(request, _("%(n)s imports queued again.") % {"n": len(again)})
        if len(again) < len(jobs):
            self.message_user(
                request,
                _("%(n)s imports cannot run again: they finished, are running, were refused, "
                  "or their files are no longer kept.") % {"n": len(jobs) - len(again)},
                messages.WARNING,
            )  # fmt: skip

    def has_add_permission(self, request):
        return False  # imports start from the layer upload form
