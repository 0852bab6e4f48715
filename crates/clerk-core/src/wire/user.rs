//! Users and their identifications (`UserJSON`, `fapi.md` §4.7).

use super::text::Text;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use super::lenient::null_as_default;
use super::raw_json::RawJson;
use super::verification::Verification;
use crate::secret::VerificationCode;

/// A user, as a session carries it and as `/v1/me` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct UserResource {
    /// `"user"`; not validated.
    #[serde(default, deserialize_with = "super::vocabulary::optional_word")]
    pub object: Option<super::vocabulary::Word>,
    /// The user id (`user_…`).
    #[serde(default)]
    pub id: Option<Text>,
    /// An id set by the backend.
    #[serde(default)]
    pub external_id: Option<Text>,
    /// Username.
    #[serde(default)]
    pub username: Option<Text>,
    /// First name.
    #[serde(default)]
    pub first_name: Option<Text>,
    /// Last name.
    #[serde(default)]
    pub last_name: Option<Text>,
    /// Preferred locale.
    #[serde(default)]
    pub locale: Option<Text>,
    /// Avatar URL.
    #[serde(default)]
    pub image_url: Option<Text>,
    /// Whether the user uploaded an image.
    #[serde(default, deserialize_with = "null_as_default")]
    pub has_image: bool,
    /// Deprecated avatar URL.
    #[serde(default)]
    pub profile_image_url: Option<Text>,
    /// The primary email address (an id in `email_addresses`).
    #[serde(default)]
    pub primary_email_address_id: Option<Text>,
    /// The primary phone number (an id in `phone_numbers`).
    #[serde(default)]
    pub primary_phone_number_id: Option<Text>,
    /// The primary Web3 wallet (an id in `web3_wallets`).
    #[serde(default)]
    pub primary_web3_wallet_id: Option<Text>,
    /// Email addresses.
    #[serde(default, deserialize_with = "super::lenient::list")]
    pub email_addresses: Vec<EmailAddress>,
    /// Phone numbers.
    #[serde(default, deserialize_with = "super::lenient::list")]
    pub phone_numbers: Vec<PhoneNumber>,
    /// Web3 wallets.
    #[serde(default, deserialize_with = "super::lenient::list")]
    pub web3_wallets: Vec<Web3Wallet>,
    /// Passkeys.
    #[serde(default, deserialize_with = "super::lenient::list")]
    pub passkeys: Vec<Passkey>,
    /// OAuth accounts.
    #[serde(default, deserialize_with = "super::lenient::list")]
    pub external_accounts: Vec<ExternalAccount>,
    /// Enterprise SSO accounts.
    #[serde(default, deserialize_with = "super::lenient::list")]
    pub enterprise_accounts: Vec<EnterpriseAccount>,
    /// Legacy SAML accounts, verbatim.
    #[serde(default, deserialize_with = "super::lenient::list")]
    pub saml_accounts: Vec<RawJson>,
    /// Whether the user has a password.
    #[serde(default, deserialize_with = "null_as_default")]
    pub password_enabled: bool,
    /// Whether a second factor is enabled.
    #[serde(default, deserialize_with = "null_as_default")]
    pub two_factor_enabled: bool,
    /// Whether an authenticator app is enrolled.
    #[serde(default, deserialize_with = "null_as_default")]
    pub totp_enabled: bool,
    /// Whether backup codes exist.
    #[serde(default, deserialize_with = "null_as_default")]
    pub backup_code_enabled: bool,
    /// Whether the user is banned.
    #[serde(default, deserialize_with = "null_as_default")]
    pub banned: bool,
    /// Whether the user is locked out.
    #[serde(default, deserialize_with = "null_as_default")]
    pub locked: bool,
    /// Seconds until the lockout ends; see [`UserResource::lockout_expires_in`].
    #[serde(default)]
    pub lockout_expires_in_seconds: Option<i64>,
    /// Verification attempts left before a lockout.
    #[serde(default)]
    pub verification_attempts_remaining: Option<u32>,
    /// Whether the user may skip device-trust checks.
    #[serde(default, deserialize_with = "null_as_default")]
    pub bypass_client_trust: bool,
    /// When MFA was enabled.
    #[serde(default, with = "super::timestamp")]
    pub mfa_enabled_at: Option<OffsetDateTime>,
    /// When MFA was disabled.
    #[serde(default, with = "super::timestamp")]
    pub mfa_disabled_at: Option<OffsetDateTime>,
    /// When the password last changed.
    #[serde(default, with = "super::timestamp")]
    pub password_last_updated_at: Option<OffsetDateTime>,
    /// Organization memberships.
    #[serde(default, deserialize_with = "super::lenient::list")]
    pub organization_memberships: Vec<OrganizationMembership>,
    /// Metadata only the backend may write.
    #[serde(default)]
    pub public_metadata: Option<RawJson>,
    /// Metadata the client may write.
    #[serde(default)]
    pub unsafe_metadata: Option<RawJson>,
    /// Whether the user may create organizations.
    #[serde(default, deserialize_with = "null_as_default")]
    pub create_organization_enabled: bool,
    /// How many organizations the user may create.
    #[serde(default)]
    pub create_organizations_limit: Option<u32>,
    /// Whether the user may delete themselves.
    #[serde(default, deserialize_with = "null_as_default")]
    pub delete_self_enabled: bool,
    /// Last sign-in.
    #[serde(default, with = "super::timestamp")]
    pub last_sign_in_at: Option<OffsetDateTime>,
    /// Last activity.
    #[serde(default, with = "super::timestamp")]
    pub last_active_at: Option<OffsetDateTime>,
    /// When the legal terms were accepted.
    #[serde(default, with = "super::timestamp")]
    pub legal_accepted_at: Option<OffsetDateTime>,
    /// Creation time.
    #[serde(default, with = "super::timestamp")]
    pub created_at: Option<OffsetDateTime>,
    /// Last update time.
    #[serde(default, with = "super::timestamp")]
    pub updated_at: Option<OffsetDateTime>,
}

impl UserResource {
    /// The primary email address.
    #[must_use]
    pub fn primary_email_address(&self) -> Option<&EmailAddress> {
        let id = self.primary_email_address_id.as_deref()?;
        self.email_addresses.iter().find(|e| e.id.as_deref() == Some(id))
    }

    /// The primary phone number.
    #[must_use]
    pub fn primary_phone_number(&self) -> Option<&PhoneNumber> {
        let id = self.primary_phone_number_id.as_deref()?;
        self.phone_numbers.iter().find(|p| p.id.as_deref() == Some(id))
    }

    /// How long the lockout still lasts (`lockout_expires_in_seconds`).
    #[must_use]
    pub fn lockout_expires_in(&self) -> Option<Duration> {
        self.lockout_expires_in_seconds.map(Duration::seconds)
    }
}

/// A link from an identification to another one (`linked_to[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct IdentificationLink {
    /// The linked identification's id.
    #[serde(default)]
    pub id: Option<Text>,
    /// The linked identification's kind (`oauth_google`, …).
    #[serde(default)]
    pub r#type: Option<Text>,
}

/// An email address of a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct EmailAddress {
    /// `"email_address"`; not validated.
    #[serde(default, deserialize_with = "super::vocabulary::optional_word")]
    pub object: Option<super::vocabulary::Word>,
    /// The identification id (`idn_…`).
    #[serde(default)]
    pub id: Option<Text>,
    /// The address.
    #[serde(default)]
    pub email_address: Option<Text>,
    /// Whether the address is reserved.
    #[serde(default, deserialize_with = "null_as_default")]
    pub reserved: bool,
    /// Its verification.
    #[serde(default)]
    pub verification: Option<Box<Verification>>,
    /// Identifications linked to it.
    #[serde(default, deserialize_with = "super::lenient::list")]
    pub linked_to: Vec<IdentificationLink>,
    /// Whether it matches an enterprise SSO connection.
    #[serde(default, deserialize_with = "null_as_default")]
    pub matches_sso_connection: bool,
    /// Creation time.
    #[serde(default, with = "super::timestamp")]
    pub created_at: Option<OffsetDateTime>,
    /// Last update time.
    #[serde(default, with = "super::timestamp")]
    pub updated_at: Option<OffsetDateTime>,
}

/// A phone number of a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct PhoneNumber {
    /// `"phone_number"`; not validated.
    #[serde(default, deserialize_with = "super::vocabulary::optional_word")]
    pub object: Option<super::vocabulary::Word>,
    /// The identification id (`idn_…`).
    #[serde(default)]
    pub id: Option<Text>,
    /// The number.
    #[serde(default)]
    pub phone_number: Option<Text>,
    /// Whether it is reserved for second-factor use.
    #[serde(default, deserialize_with = "null_as_default")]
    pub reserved_for_second_factor: bool,
    /// Whether it is the default second factor.
    #[serde(default, deserialize_with = "null_as_default")]
    pub default_second_factor: bool,
    /// Whether the number is reserved.
    #[serde(default, deserialize_with = "null_as_default")]
    pub reserved: bool,
    /// Its verification.
    #[serde(default)]
    pub verification: Option<Box<Verification>>,
    /// Identifications linked to it.
    #[serde(default, deserialize_with = "super::lenient::list")]
    pub linked_to: Vec<IdentificationLink>,
    /// Backup codes returned once when MFA is enabled with this number (secrets).
    #[serde(default)]
    pub backup_codes: Option<Vec<VerificationCode>>,
    /// Creation time.
    #[serde(default, with = "super::timestamp")]
    pub created_at: Option<OffsetDateTime>,
    /// Last update time.
    #[serde(default, with = "super::timestamp")]
    pub updated_at: Option<OffsetDateTime>,
}

/// A Web3 wallet of a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Web3Wallet {
    /// `"web3_wallet"`; not validated.
    #[serde(default, deserialize_with = "super::vocabulary::optional_word")]
    pub object: Option<super::vocabulary::Word>,
    /// The identification id.
    #[serde(default)]
    pub id: Option<Text>,
    /// The wallet address.
    #[serde(default)]
    pub web3_wallet: Option<Text>,
    /// Its verification.
    #[serde(default)]
    pub verification: Option<Box<Verification>>,
    /// Creation time.
    #[serde(default, with = "super::timestamp")]
    pub created_at: Option<OffsetDateTime>,
    /// Last update time.
    #[serde(default, with = "super::timestamp")]
    pub updated_at: Option<OffsetDateTime>,
}

/// A passkey of a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Passkey {
    /// `"passkey"`; not validated.
    #[serde(default, deserialize_with = "super::vocabulary::optional_word")]
    pub object: Option<super::vocabulary::Word>,
    /// The passkey id.
    #[serde(default)]
    pub id: Option<Text>,
    /// Its display name.
    #[serde(default)]
    pub name: Option<Text>,
    /// Its verification.
    #[serde(default)]
    pub verification: Option<Box<Verification>>,
    /// Last use.
    #[serde(default, with = "super::timestamp")]
    pub last_used_at: Option<OffsetDateTime>,
    /// Creation time.
    #[serde(default, with = "super::timestamp")]
    pub created_at: Option<OffsetDateTime>,
    /// Last update time.
    #[serde(default, with = "super::timestamp")]
    pub updated_at: Option<OffsetDateTime>,
}

/// An OAuth account linked to a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct ExternalAccount {
    /// `"external_account"`; not validated.
    #[serde(default, deserialize_with = "super::vocabulary::optional_word")]
    pub object: Option<super::vocabulary::Word>,
    /// The account id.
    #[serde(default)]
    pub id: Option<Text>,
    /// The identification this account belongs to.
    #[serde(default)]
    pub identification_id: Option<Text>,
    /// The provider (`google`, …).
    #[serde(default)]
    pub provider: Option<Text>,
    /// The user id at the provider.
    #[serde(default)]
    pub provider_user_id: Option<Text>,
    /// Scopes granted, space-separated.
    #[serde(default)]
    pub approved_scopes: Option<Text>,
    /// Email address at the provider.
    #[serde(default)]
    pub email_address: Option<Text>,
    /// First name at the provider.
    #[serde(default)]
    pub first_name: Option<Text>,
    /// Last name at the provider.
    #[serde(default)]
    pub last_name: Option<Text>,
    /// Avatar URL.
    #[serde(default)]
    pub image_url: Option<Text>,
    /// Username at the provider.
    #[serde(default)]
    pub username: Option<Text>,
    /// Phone number at the provider.
    #[serde(default)]
    pub phone_number: Option<Text>,
    /// A label.
    #[serde(default)]
    pub label: Option<Text>,
    /// Metadata only the backend may write.
    #[serde(default)]
    pub public_metadata: Option<RawJson>,
    /// Its verification.
    #[serde(default)]
    pub verification: Option<Box<Verification>>,
    /// Creation time.
    #[serde(default, with = "super::timestamp")]
    pub created_at: Option<OffsetDateTime>,
    /// Last update time.
    #[serde(default, with = "super::timestamp")]
    pub updated_at: Option<OffsetDateTime>,
}

/// An enterprise SSO account linked to a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct EnterpriseAccount {
    /// `"enterprise_account"`; not validated.
    #[serde(default, deserialize_with = "super::vocabulary::optional_word")]
    pub object: Option<super::vocabulary::Word>,
    /// The account id.
    #[serde(default)]
    pub id: Option<Text>,
    /// `saml` or `oauth`.
    #[serde(default)]
    pub protocol: Option<Text>,
    /// The provider.
    #[serde(default)]
    pub provider: Option<Text>,
    /// Whether the account is active.
    #[serde(default, deserialize_with = "null_as_default")]
    pub active: bool,
    /// Email address at the provider.
    #[serde(default)]
    pub email_address: Option<Text>,
    /// First name at the provider.
    #[serde(default)]
    pub first_name: Option<Text>,
    /// Last name at the provider.
    #[serde(default)]
    pub last_name: Option<Text>,
    /// The user id at the provider.
    #[serde(default)]
    pub provider_user_id: Option<Text>,
    /// Metadata only the backend may write.
    #[serde(default)]
    pub public_metadata: Option<RawJson>,
    /// Its verification.
    #[serde(default)]
    pub verification: Option<Box<Verification>>,
    /// The enterprise connection, verbatim.
    #[serde(default)]
    pub enterprise_connection: Option<RawJson>,
}

/// A user's membership in an organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct OrganizationMembership {
    /// `"organization_membership"`; not validated.
    #[serde(default, deserialize_with = "super::vocabulary::optional_word")]
    pub object: Option<super::vocabulary::Word>,
    /// The membership id.
    #[serde(default)]
    pub id: Option<Text>,
    /// The organization.
    #[serde(default)]
    pub organization: Option<Organization>,
    /// The role key (`org:admin`, …).
    #[serde(default)]
    pub role: Option<Text>,
    /// The role's display name.
    #[serde(default)]
    pub role_name: Option<Text>,
    /// Permissions the role grants.
    #[serde(default, deserialize_with = "super::lenient::list")]
    pub permissions: Vec<Text>,
    /// Metadata only the backend may write.
    #[serde(default)]
    pub public_metadata: Option<RawJson>,
    /// Creation time.
    #[serde(default, with = "super::timestamp")]
    pub created_at: Option<OffsetDateTime>,
    /// Last update time.
    #[serde(default, with = "super::timestamp")]
    pub updated_at: Option<OffsetDateTime>,
}

/// An organization, as a membership carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct Organization {
    /// `"organization"`; not validated.
    #[serde(default, deserialize_with = "super::vocabulary::optional_word")]
    pub object: Option<super::vocabulary::Word>,
    /// The organization id (`org_…`).
    #[serde(default)]
    pub id: Option<Text>,
    /// Name.
    #[serde(default)]
    pub name: Option<Text>,
    /// URL slug.
    #[serde(default)]
    pub slug: Option<Text>,
    /// Logo URL.
    #[serde(default)]
    pub image_url: Option<Text>,
    /// Whether a logo was uploaded.
    #[serde(default, deserialize_with = "null_as_default")]
    pub has_image: bool,
    /// Number of members.
    #[serde(default)]
    pub members_count: Option<u32>,
    /// Number of pending invitations.
    #[serde(default)]
    pub pending_invitations_count: Option<u32>,
    /// Membership limit (0 = unlimited).
    #[serde(default)]
    pub max_allowed_memberships: Option<u32>,
    /// Whether admins may delete the organization.
    #[serde(default, deserialize_with = "null_as_default")]
    pub admin_delete_enabled: bool,
    /// Metadata only the backend may write.
    #[serde(default)]
    pub public_metadata: Option<RawJson>,
    /// Creation time.
    #[serde(default, with = "super::timestamp")]
    pub created_at: Option<OffsetDateTime>,
    /// Last update time.
    #[serde(default, with = "super::timestamp")]
    pub updated_at: Option<OffsetDateTime>,
}

super::map_only::map_only!(
    UserResource,
    IdentificationLink,
    EmailAddress,
    PhoneNumber,
    Web3Wallet,
    Passkey,
    ExternalAccount,
    EnterpriseAccount,
    OrganizationMembership,
    Organization
);

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn primary_identifications_and_lockout() {
        let user: UserResource = serde_json::from_str(
            r#"{"id":"user_1","primary_email_address_id":"idn_2",
                "email_addresses":[{"id":"idn_1","email_address":"a@example.com"},
                                   {"id":"idn_2","email_address":"b@example.com","linked_to":[{"id":"idn_9","type":"oauth_google"}]}],
                "phone_numbers":null,"locked":true,"lockout_expires_in_seconds":90,
                "organization_memberships":[{"id":"orgmem_1","role":"org:admin","organization":{"id":"org_1","name":"Acme"}}]}"#,
        )
        .expect("decodes");
        let primary = user.primary_email_address().expect("primary email");
        assert_eq!(primary.email_address.as_deref(), Some("b@example.com"));
        assert_eq!(primary.linked_to[0].r#type.as_deref(), Some("oauth_google"));
        assert!(user.primary_phone_number().is_none());
        assert!(user.phone_numbers.is_empty());
        assert_eq!(user.lockout_expires_in(), Some(Duration::seconds(90)));
        assert_eq!(
            user.organization_memberships[0].organization.as_ref().and_then(|o| o.name.as_deref()),
            Some("Acme")
        );
    }

    #[test]
    fn backup_codes_are_secrets() {
        let phone: PhoneNumber =
            serde_json::from_str(r#"{"id":"idn_1","backup_codes":["code-canary-1"]}"#).expect("decodes");
        assert!(!format!("{phone:?}").contains("code-canary-1"));
        assert_eq!(phone.backup_codes.as_ref().map(|codes| codes[0].expose()), Some("code-canary-1"));
    }
}
