"""User-facing refusals, one constant each; tests assert on the same constants."""

from django.utils.translation import gettext_lazy as _

NOT_ALLOWED = _("You are not allowed to do this.")
OUT_OF_TURN = _("This cannot be done while the proposal is “%(status)s”.")
CALL_NOT_OPEN = _("The call is not open: proposals are accepted from %(opens)s to %(closes)s.")
CALL_STILL_OPEN = _("The call is still open for proposals; wait until it closes.")
CALL_NGOS_ONLY = _("This call accepts applications from NGOs only.")
CALL_INDIVIDUALS_ONLY = _("This call accepts applications from individuals only.")
NGO_NOT_VERIFIED = _("You are not a verified representative of this organisation.")
INCOMPLETE = _("The proposal is not complete: %(missing)s.")
TOO_FEW_SUPPORTERS = _("%(missing)s more supporters are needed (%(have)s of %(need)s).")
OVER_CAP = _("The total %(total)s exceeds the call's cap of %(cap)s per project.")
BUDGET_MISMATCH = _("The budget lines add up to %(sum)s, not the %(total)s stated.")
BUDGET_EMPTY = _("Add at least one budget line.")
BUDGET_LINE_UNREADABLE = _("Budget line %(n)s: %(error)s")
BUDGET_LINE_INCOMPLETE = _("Budget line %(n)s needs an item and an amount above zero.")
BUDGET_TOO_MANY = _("At most %(n)s budget lines.")
TOO_MANY_PHOTOS = _("At most %(n)s photos.")  # as sites.services says it of site reports
CONSENT_MISSING = _("Upload the landowner's consent; this call requires it.")
LANDOWNER_UNKNOWN = _("Find out who owns the land: this call requires the landowner's consent.")

GEOMETRY_REQUIRED = _("Put the project on the map: drop a pin or draw its area.")
GEOMETRY_UNREADABLE = _("The location could not be read: %(error)s")
GEOMETRY_WRONG_TYPE = _("A project is a point or one polygon, not a %(type)s.")
GEOMETRY_INVALID = _("The drawn area is not valid (%(reason)s); redraw it without crossing lines.")
GEOMETRY_OUTSIDE_CITY = _("The project must lie inside %(city)s.")
GEOMETRY_TOO_LARGE = _(
    "The area is %(area)s m²; projects in this call may cover at most %(max)s m²."
)
GEOMETRY_TOO_MANY_VERTICES = _("The drawn area has %(count)s points; at most %(max)s are allowed.")

SUPPORT_EMAIL_UNCONFIRMED = _("Confirm your e-mail address before supporting a proposal.")
SUPPORT_AGE = _("Supporters must be at least %(age)s years old.")
SUPPORT_DUPLICATE = _("This person already supports this proposal.")
SUPPORT_OWN = _("You cannot support your own proposal.")
FOLLOW_OWN = _("You are told of your own proposal's news already.")
FOLLOW_EMAIL_UNCONFIRMED = _("Confirm your e-mail address before following a proposal.")
CARE_OWN = _("You look after this project: say what you found in a maintenance report.")
CARE_EMAIL_UNCONFIRMED = _("Confirm your e-mail address first: the answer is sent to it.")
CARE_TEXT_MISSING = _("Say what you found.")
CARE_TEXT_LONG = _("At most %(n)s characters, please.")
CARE_TOO_MANY = _(
    "You have %(n)s notices on this project still waiting for an answer; add to them when"
    " they are answered, or write to the city."
)
CARE_ANSWERED = _("This notice has been answered already.")
CARE_ABUSE_REPORTED = _("This notice is reported as abusive already; the city decides.")
CARE_ABUSE_KEPT = _("The city kept this notice after your report; it cannot be reported again.")
CARE_ABUSE_NOT_REPORTED = _("This notice is not reported as abusive.")
CARE_REMOVE_REASON = _("Say why the notice is removed: the resident is told.")
CARE_OPEN311_EMAIL = _("email: required, since those who look after the project answer by e-mail.")
CARE_OPEN311_PLACE = _("lat and long: a place in decimal degrees is required.")
CARE_NO_PROJECT_NEAR = _(
    "No completed project in its maintenance period within %(m)s m of this place: give "
    "attribute[project], the number in the address of the project's page."
)
CARE_PROJECT_UNKNOWN = _(
    "attribute[project]: no completed project in its maintenance period with this number here."
)
CARE_PROJECT_FAR = _("attribute[project]: that project is more than %(m)s m from this place.")
MILESTONE_DONE_ALREADY = _("This milestone is marked done already.")
MILESTONE_NOT_DONE = _("This milestone is not marked done.")
ALERT_EMAIL_UNCONFIRMED = _("Confirm your e-mail address before asking for news by e-mail.")
ALERT_NOTHING = _("Choose new proposals, new neglected sites, completed projects, or more.")
ALERT_DISTRICT_UNKNOWN = _("There is no district “%(district)s” in this city.")
ALERT_TOO_MANY = _("You have %(max)s alerts already: stop one of them first.")
ALERT_PLACE_OUTSIDE = _("Choose a place in %(city)s: move the map so that its centre is in it.")
ALERT_RADIUS = _("Choose one of the distances offered.")
SUPPORT_CLOSED = _("Support can only be given or withdrawn while the call is open.")
SUPPORT_NAME = _("Give your full name.")
SUPPORT_ADDRESS = _("Give your address.")
SUPPORT_NOT_FOUND = _("You do not support this proposal.")
SUPPORT_STRUCK = _(
    "An officer found an earlier support by this person invalid; contact the programme office."
)
STRIKE_REASON = _("Say why this support does not count.")
SUPPORT_INACTIVE = _("This support no longer counts.")
SUPPORT_NOT_STRUCK = _("Only a support an officer struck can be restored.")
SUPPORT_DUPLICATE_ACTIVE = _("The same person's support counts already.")
SUPPORTERS_SHORT = _(
    "Only %(have)s supports count; the call needs %(need)s. The proposal is not eligible."
)
INELIGIBLE_REASON = _("Give the reason the applicant will see.")
REOPEN_REASON = _("Say why the formal check is made again; the applicant is told.")
FORMAL_CHECK_FINAL = _(
    "The assessment rounds have begun: the formal check can no longer be made again."
)
EXPIRED_NOTE = _(
    "The call closed before the proposal was submitted, so it is no longer public. You can "
    "propose it again in a later call."
)

ROUND_NOT_OPEN = _("No assessment round is open for this call.")
ROUND_ALREADY_OPEN = _("Round %(round)s is still open; close it first.")
NO_MORE_ROUNDS = _("All %(rounds)s rounds have been held.")
FORMAL_CHECK_PENDING = _("%(count)s submitted proposals still await the formal check.")
COMMITTEE_ROUND_OPEN = _("Round %(round)s is open; change the committee after it closes.")
NOT_A_COMMITTEE_MEMBER = _("Not committee members of this city: %(emails)s.")
COMMITTEE_TOO_LARGE = _("The call's committee has %(size)s members; %(chosen)s were chosen.")
CALL_TITLE_MISSING = _("Give the call a title in at least one language.")
CALL_RULE_LOCKED = _("“%(field)s” can no longer change: the call has opened.")
CALL_OPENS_LOCKED = _("The opening time can no longer change: the call has opened.")
CALL_CLOSES_LOCKED = _("The deadline can no longer change: the call has closed.")
CRITERIA_LOCKED = _(
    "The call has opened and applicants read its criteria: their names can be corrected, but"
    " no criterion added or removed, and no weight changed."
)
CRITERIA_NONE = _("Give at least one assessment criterion.")
CRITERIA_TOO_MANY = _("At most %(n)s assessment criteria.")
CRITERION_UNNAMED = _("Name each criterion in at least one language.")
CRITERION_WEIGHT = _("A criterion's weight is more than 0 and at most %(max)s.")
CRITERION_TWICE = _("Two criteria are named “%(name)s”.")
COMMITTEE_SIZE_LOCKED = _("The committee's size can no longer change: the assessment has begun.")
COMMITTEE_SIZE_BELOW = _(
    "The committee already has %(have)s members; take some off before making it smaller."
)
COMMITTEE_INCOMPLETE = _(
    "The committee has %(have)s of its %(size)s members; complete it before opening a round."
)
NOT_ON_COMMITTEE = _("You are not on this call's committee.")
CONFLICTED = _("You declared a conflict of interest on this proposal.")
SCORE_RANGE = _("Scores are from 0 to 5.")
SCORE_INCOMPLETE = _("Score every criterion.")
REVISION_NOT_NOW = _("Revisions are accepted between rounds only, after feedback.")

ASSESSMENT_NOT_FINISHED = _("Decisions are made after the last assessment round is closed.")
OVER_BUDGET = _(
    "Granting %(amount)s would bring the call to %(total)s, over its budget of %(budget)s."
)
AMOUNT_OVER_REQUEST = _("The granted amount may not exceed the %(requested)s requested.")
AMOUNT_REQUIRED = _("Give the granted amount.")
GRANT_CORRECT_TURN = _(
    "A grant's amount is corrected before its agreement is signed; this proposal is “%(status)s”."
)
GRANT_CORRECT_REASON = _("Say why the amount is corrected: the applicant is told.")
GRANT_CORRECT_UNCHANGED = _("That is the amount granted already.")

REVOKE_TURN = _(
    "A grant is revoked between the decision and the end of the sustainability period; this "
    "proposal is “%(status)s”."
)
REVOKE_REASON = _("Say why the grant is revoked: the applicant is told, and its page says it.")
REVOKE_REASON_LONG = _("The reason has at most %(max)s characters.")
REVOKE_IN_FUTURE = _("A revocation is recorded once it is decided: %(date)s has not come yet.")
REVOKE_BEFORE_DECISION = _("A grant cannot be revoked before it was granted (%(date)s).")
REVOKE_CORRECT_TURN = _("Only a revoked grant's day of revocation is corrected here.")
REVOKE_CORRECT_REASON = _("Say why the revocation's day is corrected.")
REVOKE_CORRECT_UNCHANGED = _("That is the revocation's day already.")
REVOKE_BEFORE_STEP = _(
    "A revocation cannot be dated before the step the proposal had reached then (%(date)s)."
)
RESERVE_BEFORE_DECISION = _(
    "A grant from the reserve cannot be dated before the proposal was first decided (%(date)s)."
)
RESERVE_TOO_LATE = _(
    "The proposal was not granted more than %(days)s days ago: its landowner's consent and "
    "its applicant's contact details may be erased by now, so it cannot be granted from the "
    "reserve. The applicant can propose it again in a new call."
)

EXPENSE_OVER_GRANT = _("Expenses would total %(total)s, more than the %(granted)s granted.")
EXPENSE_NOT_POSITIVE = _("An expense's amount must be more than zero.")
EXPENSE_IN_FUTURE = _("An expense is recorded once it is paid: %(date)s has not come yet.")
DECISION_REFERENCE_LONG = _("The decision's number or title has at most %(max)s characters.")
DECISION_REFERENCE_MISSING = _("Give the decision's number or title, for the link to name it.")
DECISION_URL_INVALID = _("Give the address where the city publishes it, beginning https://.")
DECISION_IN_FUTURE = _("A decision is recorded once it is taken: %(date)s has not come yet.")
DECISION_BEFORE_CLOSE = _("The decision cannot be dated before the call closed (%(date)s).")
DECISION_CORRECT_TURN = _(
    "A decision's day is corrected until the works end; this proposal is “%(status)s”."
)
DECISION_CORRECT_REASON = _("Say why the decision's day is corrected.")
DECISION_CORRECT_UNCHANGED = _("That is the decision's day already.")
DECISION_AFTER_AGREEMENT = _(
    "The decision cannot be dated after its agreement was signed (%(date)s)."
)
DECISION_BEFORE_ROUNDS = _(
    "The decision cannot be dated before the committee's last round closed (%(date)s)."
)
AGREEMENT_IN_FUTURE = _("An agreement is recorded once it is signed: %(date)s has not come yet.")
AGREEMENT_BEFORE_DECISION = _(
    "The agreement cannot be signed before the grant was decided (%(date)s)."
)
AGREEMENT_REFERENCE_LONG = _("An agreement number has at most %(max)s characters.")
AGREEMENT_UNCHANGED = _("Nothing to correct: the day, number and document are as recorded.")
WORK_DAY_PEOPLE = _("The number of people must be a whole number from 1 to %(most)s.")
WORK_DAY_HOURS = _("Hours each must be more than 0 and at most 24.")
WORK_DAY_IN_FUTURE = _("A work day is recorded once it has happened: %(date)s has not come yet.")
PAIR_WITH_BEFORE = _("Pair an after photo with a before photo of this project.")
AFTER_PHOTO_REQUIRED = _("Add at least one after photo taken from the viewpoint of a before photo.")
SUSTAINABILITY_NOT_OVER = _("The sustainability period ends on %(date)s.")
REPORTS_ALL_FILED = _("All %(n)s maintenance reports of the sustainability period are filed.")
REPORT_PHOTO_WITH_REPORT = _("Add maintenance photos to a maintenance report.")
PHOTO_OF_A_REPORT = _("A maintenance report's photos stay as the report was filed.")
PHOTO_PAIRED = _("An after photo is paired with this one (%(ids)s): remove that first.")
FEEDBACK_EMPTY = _("Write the feedback.")
FEEDBACK_DRAFT_CHANGED = _(
    "%(who)s saved the draft of this feedback after you opened the page. Your text is kept "
    "below and theirs is shown above it: merge them, then save or release."
)
FEEDBACK_DRAFT_GONE = _(
    "Another officer released or discarded the draft of this feedback after you opened the "
    "page. Your text is kept below: read what was released, then save or release yours."
)

ORG_EMAIL_UNCONFIRMED = _("Confirm your e-mail address before asking to represent an organisation.")
ORG_NAME = _("Give the organisation's name.")
ORG_NUMBER = _("Give the organisation's registration number (as in the public register).")
ORG_ALREADY_VERIFIED = _("You already represent this organisation.")
ORG_ALREADY_WAITING = _("Your request to represent this organisation waits for the city.")
ORG_NOT_PENDING = _("This request has been decided already.")
ORG_REASON_REQUIRED = _("Say why, so that the person can put it right.")
