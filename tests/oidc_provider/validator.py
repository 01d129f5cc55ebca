from oauth2_provider.oauth2_validators import OAuth2Validator


class ClaimsValidator(OAuth2Validator):
    """The claims a provincial single sign-on would assert, each released under its scope."""

    def get_additional_claims(self, request):
        user = request.user
        return {
            "preferred_username": user.username,
            "name": f"{user.last_name} {user.first_name}".strip(),
            "email": user.email,
            "email_verified": True,
        }
