"""Keyworker and commissioner pages: HTTP in, selectors and services, HTTP out. Every read is audited."""

from __future__ import annotations

import io
import json
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.generic import FormView, TemplateView, View
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import RoleRequiredMixin, role_permission
from accounts.roles import KEYWORKER, UNMET_ROLES
from areas.models import Locality
from services.models import MenuOption

from .access import actor_for
from .forms import CarePlanChoiceForm, CaseloadFilter, NeedsForm, ReviewForm, ServiceUserEditForm, ServiceUserForm
from .models import AuditAction, AuditedKind, ServiceUser, Session
from .publication_tables import (
    DIMENSIONS,
    FEWER_THAN,
    METHOD_NOTE,
    OUTCOMES_TABLE,
    REASON_LABELS,
    REASON_MEASURES,
    REASONS_TABLE,
    SEGMENTS_TABLE,
    TABLE_FORMATS,
    NotInPublication,
    Segment,
    StoredTables,
    catalogue_reach,
    segment_rows,
    stored_table,
)
from .rules import LANGUAGES
from .selectors import (
    caseload,
    choices_over_time,
    outcome_lines,
    past_publications,
    personal_menu,
    publication_or_latest,
    reachable_menu,
    record_changes,
    teams_of,
    visible_choices,
    visible_service_users,
)
from .services import (
    create_service_user,
    record_access,
    record_aggregate_read,
    record_choice,
    record_review,
    update_choice,
    update_needs,
    update_service_user,
)
from .unmet import (
    ALL,
    MEASURE_LABELS,
    MEASURES,
    NOTHING_PUBLISHED,
    publication_json,
    publication_meta,
    unmet_of,
    write_unmet_csv,
)


def requested_publication(request):
    """The stored publication a commissioner asked for (?publication=ID), else the latest; None if none yet."""
    requested = request.GET.get("publication", "")
    return publication_or_latest(int(requested) if requested.isdigit() else None)


class KeyworkerView(RoleRequiredMixin):
    allowed_roles = (KEYWORKER,)
    # Set by the Django view this is mixed into.
    request: HttpRequest
    kwargs: dict[str, Any]

    def service_user(self) -> ServiceUser:
        """Only the keyworker's own and team caseload exist here: any other id is a 404."""
        return get_object_or_404(
            visible_service_users(user=self.request.user).select_related("home_locality", "keyworker", "team"),
            pk=self.kwargs["pk"],
        )


class CaseloadView(KeyworkerView, TemplateView):
    template_name = "careplans/caseload.html"
    paginate_by = 25

    def get_context_data(self, **kwargs):
        filterset = CaseloadFilter(self.request.GET or None, queryset=caseload(user=self.request.user))
        page = Paginator(filterset.qs, self.paginate_by).get_page(self.request.GET.get("page"))
        record_access(
            actor=actor_for(self.request), action=AuditAction.LIST, kind=AuditedKind.SERVICE_USER, records=list(page)
        )
        query = self.request.GET.copy()
        query.pop("page", None)
        return super().get_context_data(
            filter=filterset, page=page, query=query.urlencode(), today=timezone.localdate(), **kwargs
        )


def localities_geojson() -> dict:
    """Locality outlines for the pick-on-the-map widget (simplified where a simplified copy exists)."""
    features = [
        {
            "type": "Feature",
            "id": pk,
            "properties": {"name": name, "code": code},
            "geometry": json.loads(geometry.geojson),
        }
        for pk, name, code, geometry in Locality.objects.annotate(
            drawn=Coalesce("geometry_simplified", "geometry")
        ).values_list("pk", "name", "code", "drawn")
    ]
    return {"type": "FeatureCollection", "features": features}


class ServiceUserCreateView(KeyworkerView, FormView):
    template_name = "careplans/service_user_form.html"
    form_class = ServiceUserForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "teams": teams_of(user=self.request.user)}

    def get_context_data(self, **kwargs):
        return super().get_context_data(localities=localities_geojson(), **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        service_user = create_service_user(
            actor=actor_for(self.request),
            keyworker=self.request.user,
            age_band=data["age_band"],
            home_locality=data["home_locality"],
            team=data["team"],
        )
        messages.success(self.request, f"Added {service_user.reference} to your caseload.")
        return redirect("careplans:service_user", pk=service_user.pk)


class PersonFormView(KeyworkerView, FormView):
    """A form about one person on the caseload: opening it is audited as a view of the record, and a
    refused form says nothing was saved and keeps what was entered."""

    record: ServiceUser
    refused_message = "Nothing was saved: please correct the fields marked below."

    def get(self, request, *args, **kwargs):
        self.record = self.service_user()
        record_access(
            actor=actor_for(request), action=AuditAction.VIEW, kind=AuditedKind.SERVICE_USER, records=[self.record]
        )
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.record = self.service_user()
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(service_user=self.record, **kwargs)

    def form_invalid(self, form):
        if self.refused_message:
            messages.error(self.request, self.refused_message)
        return super().form_invalid(form)


class ServiceUserEditView(PersonFormView):
    template_name = "careplans/service_user_form.html"
    form_class = ServiceUserEditForm
    refused_message = ""  # the form's template says it, as it does for a new person

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "teams": teams_of(user=self.request.user)}

    def get_initial(self):
        su = self.record
        return {
            "age_band": su.age_band,
            "home_locality": su.home_locality,
            "team": su.team,
            "status": su.status,
            "closed_on": su.closed_on,
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(localities=localities_geojson(), **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        update_service_user(
            actor=actor_for(self.request),
            service_user=self.record,
            age_band=data["age_band"],
            home_locality=data["home_locality"],
            team=data["team"],
            status=data["status"],
            closed_on=data["closed_on"],
        )
        messages.success(self.request, f"Saved {self.record.reference}.")
        return redirect("careplans:service_user", pk=self.record.pk)


class NeedsEditView(PersonFormView):
    """The person's needs and constraints: how they travel, when they can attend, what they will accept."""

    template_name = "careplans/needs_form.html"
    form_class = NeedsForm

    def get_initial(self):
        return NeedsForm.initial_for(self.record)

    def form_valid(self, form):
        update_needs(actor=actor_for(self.request), service_user=self.record, needs=form.needs())
        messages.success(self.request, f"Saved the needs of {self.record.reference}.")
        return redirect("careplans:service_user", pk=self.record.pk)


class ReviewCreateView(PersonFormView):
    """Record the outcomes of a review: the person's goals in their words, TOP scores, days of use."""

    template_name = "careplans/review_form.html"
    form_class = ReviewForm

    def get_initial(self):
        return {"reviewed_on": timezone.localdate()}

    def form_valid(self, form):
        record_review(actor=actor_for(self.request), service_user=self.record, outcomes=form.cleaned_data)
        messages.success(self.request, f"Recorded the review of {self.record.reference}.")
        return redirect("careplans:service_user", pk=self.record.pk)


class ServiceUserDetailView(KeyworkerView, TemplateView):
    template_name = "careplans/service_user.html"

    def get_context_data(self, **kwargs):
        service_user = self.service_user()
        choices = list(choices_over_time(service_user=service_user))
        reviews = list(service_user.reviews.order_by("reviewed_on", "id"))
        actor = actor_for(self.request)
        record_access(actor=actor, action=AuditAction.VIEW, kind=AuditedKind.SERVICE_USER, records=[service_user])
        record_access(actor=actor, action=AuditAction.VIEW, kind=AuditedKind.CARE_PLAN_CHOICE, records=choices)
        record_access(actor=actor, action=AuditAction.VIEW, kind=AuditedKind.REVIEW, records=reviews)
        return super().get_context_data(
            service_user=service_user,
            choices=choices,
            reviews=reviews,
            outcome_lines=outcome_lines(reviews),
            changes=record_changes(record=service_user),
            can_attend=[Session(value).label for value in service_user.can_attend],
            interpreter_language=LANGUAGES.get(service_user.interpreter_language, service_user.interpreter_language),
            **kwargs,
        )


class ChoiceFormView(KeyworkerView, FormView):
    """Record a choice (no choice_pk) or correct one, beside the menu reachable from the person's home."""

    template_name = "careplans/choice_form.html"
    form_class = CarePlanChoiceForm

    def setup_records(self):
        self.record = self.service_user()
        self.choice = None
        if "choice_pk" in self.kwargs:
            self.choice = get_object_or_404(
                visible_choices(user=self.request.user), pk=self.kwargs["choice_pk"], service_user=self.record
            )

    def get(self, request, *args, **kwargs):
        self.setup_records()
        record_access(
            actor=actor_for(request), action=AuditAction.VIEW, kind=AuditedKind.SERVICE_USER, records=[self.record]
        )
        if self.choice:
            record_access(
                actor=actor_for(request),
                action=AuditAction.VIEW,
                kind=AuditedKind.CARE_PLAN_CHOICE,
                records=[self.choice],
            )
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.setup_records()
        return super().post(request, *args, **kwargs)

    def get_initial(self):
        if self.choice is None:
            return {"discussed_on": timezone.localdate()}
        c = self.choice
        return {
            "discussed_on": c.discussed_on,
            "options_discussed": list(c.options_discussed.all()),
            "preferred_option": c.preferred_option,
            "agreed_option": c.agreed_option,
            "joint_decision": "yes" if c.joint_decision else "no",
            "difference_reason": c.difference_reason,
            "difference_other": c.difference_other,
            "review_on": c.review_on,
        }

    def get_context_data(self, **kwargs):
        # The menu is from the home the choice was made from: today's home for a new choice.
        locality = self.choice.home_locality if self.choice else self.record.home_locality
        return super().get_context_data(
            service_user=self.record,
            choice=self.choice,
            menu=reachable_menu(locality=locality),
            personal=personal_menu(service_user=self.record),
            **kwargs,
        )

    def form_valid(self, form):
        actor = actor_for(self.request)
        if self.choice is None:
            record_choice(actor=actor, service_user=self.record, fields=form.choice_fields())
            messages.success(self.request, f"Recorded the choice for {self.record.reference}.")
        else:
            update_choice(actor=actor, choice=self.choice, fields=form.choice_fields())
            messages.success(self.request, f"Saved the corrected choice for {self.record.reference}.")
        return redirect("careplans:service_user", pk=self.record.pk)

    def form_invalid(self, form):
        messages.error(self.request, "Nothing was saved: please correct the fields marked below.")
        return super().form_invalid(form)


class UnmetPreferenceView(RoleRequiredMixin, TemplateView):
    """Commissioners' table: one option (or all) by locality, with the area totals, of one publication."""

    allowed_roles = UNMET_ROLES
    template_name = "careplans/unmet.html"

    def get_context_data(self, **kwargs):
        stored = requested_publication(self.request)
        if stored is None:
            return super().get_context_data(stored=None, nothing_published=NOTHING_PUBLISHED, **kwargs)
        publication = unmet_of(stored)
        record_aggregate_read(actor=actor_for(self.request))
        option_codes = [code for code, _ in publication.options]
        option = self.request.GET.get("option")
        option = option if option in option_codes else ALL

        def in_order(cell: dict) -> list:
            return [cell[m] for m in MEASURES]

        rows = [(name, code, in_order(publication.cell(code, option))) for code, name in publication.localities]
        return super().get_context_data(
            stored=stored,
            past=past_publications(),
            publication=publication,
            option=option,
            rows=rows,
            area=in_order(publication.cell(ALL, option)),
            measures=[(m, MEASURE_LABELS[m]) for m in MEASURES],
            **kwargs,
        )


class UnmetPreferenceCsvView(RoleRequiredMixin, View):
    allowed_roles = UNMET_ROLES

    def get(self, request):
        stored = requested_publication(request)
        if stored is None:
            return HttpResponse(NOTHING_PUBLISHED, status=404, content_type="text/plain; charset=utf-8")
        output = io.StringIO()
        write_unmet_csv(unmet_of(stored), output)
        record_aggregate_read(actor=actor_for(request))
        response = HttpResponse(output.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="unmet-preference-{stored.pk}.csv"'
        return response


class UnmetPreferenceApi(APIView):
    """Unmet preference per locality and option, disclosure-controlled, for the equity map."""

    permission_classes = [role_permission(*UNMET_ROLES)]
    schema = None  # the map's own endpoint; the documented one is /api/v1/unmet-preference/

    def get(self, request):
        stored = requested_publication(request)
        if stored is None:
            return Response({"detail": NOTHING_PUBLISHED}, status=404)
        publication = unmet_of(stored)
        record_aggregate_read(actor=actor_for(request))
        locality, option = request.query_params.get("locality"), request.query_params.get("option")
        problems = {}
        if locality and locality not in {code for code, _ in publication.localities}:
            if not Locality.objects.filter(code=locality).exists():
                problems["locality"] = f"unknown locality code {locality!r}"
        if option and option not in {code for code, _ in publication.options}:
            if not MenuOption.objects.filter(code=option).exists():
                problems["option"] = f"unknown option code {option!r}"
        if problems:
            return Response(problems, status=400)
        body = publication_json(publication, locality=locality or None, option=option or None)
        return Response({"published": publication_meta(stored), **body})


class PublishedTableView(RoleRequiredMixin, TemplateView):
    """One of issue 15's tables of a stored publication (?publication=ID, else the latest)."""

    allowed_roles = UNMET_ROLES
    table = ""

    def get_context_data(self, **kwargs):
        stored = requested_publication(self.request)
        context = {"stored": stored, "past": past_publications(), "method_note": METHOD_NOTE}
        if stored is None:
            return super().get_context_data(nothing_published=NOTHING_PUBLISHED, **context, **kwargs)
        try:
            tables = stored_table(stored, self.table)
        except NotInPublication as missing:
            return super().get_context_data(missing=str(missing), **context, **kwargs)
        record_aggregate_read(actor=actor_for(self.request))
        return super().get_context_data(tables=tables, **context, **self.table_context(tables), **kwargs)

    def table_context(self, tables: StoredTables) -> dict[str, Any]:
        raise NotImplementedError


class UnmetReasonsView(PublishedTableView):
    template_name = "careplans/unmet_reasons.html"
    table = REASONS_TABLE

    def table_context(self, tables):
        option_codes = [code for code, _ in tables.unmet.options]
        option = self.request.GET.get("option")
        option = option if option in option_codes else ALL
        rows = [
            (name, code, [tables.values[(code, option, m)] for m in REASON_MEASURES])
            for code, name in [*tables.unmet.localities, (ALL, "All localities")]
        ]
        return {"option": option, "rows": rows, "measures": [REASON_LABELS[m] for m in REASON_MEASURES]}


class SegmentsView(PublishedTableView):
    template_name = "careplans/segments.html"
    table = SEGMENTS_TABLE

    def table_context(self, tables):
        segment = Segment.from_query(self.request.GET)
        return {
            "segment": segment,
            "dimensions": [(name, getattr(segment, name), list(values.items())) for name, values in DIMENSIONS.items()],
            "rows": segment_rows(tables, segment),
            "menu_size": tables.data["menu_size"],
            "catalogue": catalogue_reach(segment, localities=tables.unmet.localities),
        }


class OutcomesView(PublishedTableView):
    template_name = "careplans/outcomes.html"
    table = OUTCOMES_TABLE

    def table_context(self, tables):
        return {"outcomes": TABLE_FORMATS[OUTCOMES_TABLE][1](tables), "fewer_than": FEWER_THAN}


class PublishedTableDownload(RoleRequiredMixin, View):
    """One of issue 15's tables as CSV (`as_csv`) or JSON, whole, from the publication asked for."""

    allowed_roles = UNMET_ROLES
    table = ""
    as_csv = False

    def get(self, request):
        stored = requested_publication(request)
        if stored is None:
            return HttpResponse(NOTHING_PUBLISHED, status=404, content_type="text/plain; charset=utf-8")
        try:
            tables = stored_table(stored, self.table)
        except NotInPublication as missing:
            return HttpResponse(str(missing), status=404, content_type="text/plain; charset=utf-8")
        record_aggregate_read(actor=actor_for(request))
        write_csv, as_json = TABLE_FORMATS[self.table]
        if not self.as_csv:
            return JsonResponse({"published": publication_meta(stored), "method": METHOD_NOTE, **as_json(tables)})
        output = io.StringIO()
        write_csv(tables, output)
        response = HttpResponse(output.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{self.table}-{stored.pk}.csv"'
        return response
