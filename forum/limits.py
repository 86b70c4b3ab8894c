"""Field length limits and the UI languages, each defined once.

Services check them (forum/validation.clean_text), forms read them into their Length validators (WTForms
then renders `maxlength`), and templates read them as the `limits` global for hand-written inputs.
"""

LANGUAGES = ("en", "bn")

TITLE_MIN, TITLE_MAX = 5, 200
BODY_MAX = 20_000
COMMENT_MAX = 10_000
MAX_TAGS, TAG_MAX = 5, 40
NOTE_MAX = 1000  # follow-up notes (resolve, assign, escalate)
PERSON_NAME_MAX = 120  # a user's name and designation
EMAIL_MAX = 254
PASSWORD_MIN, PASSWORD_MAX = 8, 200
OFFICE_CODE_MAX, OFFICE_NAME_MAX = 32, 200
CATEGORY_NAME_MAX = 100
HOLIDAY_NAME_MAX = 120
