//! `--require`: the policy gate. Each audited user must have at least one
//! of the named factors enabled (`any`: one of the four); a run in which an
//! answered user does not exits 3.

use genauth_mfa::UserMfaInfo;

/// Which of the four factors a user has enabled, in one byte (a resumed
/// user's answer is kept this way).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Factors(u8);

impl Factors {
    pub const TOTP: Factors = Factors(1);
    pub const SMS: Factors = Factors(2);
    pub const EMAIL: Factors = Factors(4);
    pub const FACE: Factors = Factors(8);
    /// The factors by name, in the order the summary lists them.
    pub const NAMED: [(&'static str, Factors); 4] = [
        ("totp", Factors::TOTP),
        ("sms", Factors::SMS),
        ("email", Factors::EMAIL),
        ("face", Factors::FACE),
    ];

    pub fn of(info: &UserMfaInfo) -> Factors {
        let bit = |on: bool, f: Factors| if on { f.0 } else { 0 };
        Factors(
            bit(info.totp.is_enabled(), Factors::TOTP)
                | bit(info.sms.is_enabled(), Factors::SMS)
                | bit(info.email.is_enabled(), Factors::EMAIL)
                | bit(info.face.is_enabled(), Factors::FACE),
        )
    }

    /// From the four statuses as a row writes them.
    pub fn from_cells(totp: &str, sms: &str, email: &str, face: &str) -> Factors {
        let bit = |cell: &str, f: Factors| if cell == "enabled" { f.0 } else { 0 };
        Factors(
            bit(totp, Factors::TOTP)
                | bit(sms, Factors::SMS)
                | bit(email, Factors::EMAIL)
                | bit(face, Factors::FACE),
        )
    }

    pub fn has(self, f: Factors) -> bool {
        self.0 & f.0 != 0
    }

    pub fn any(self) -> bool {
        self.0 != 0
    }

    /// These factors and `f`'s.
    pub fn with(self, f: Factors) -> Factors {
        Factors(self.0 | f.0)
    }

    /// The factors both have.
    pub fn and(self, f: Factors) -> Factors {
        Factors(self.0 & f.0)
    }

    /// The factors named as the summary names them (`"totp"`, `"any"`);
    /// `None` when a name is not one.
    pub fn named<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<Factors> {
        let mut all = Factors::default();
        for name in names {
            let f = match name {
                "any" => Factors(15),
                name => Factors::NAMED.iter().find(|(n, _)| *n == name)?.1,
            };
            all = all.with(f);
        }
        Some(all)
    }

    /// Those of these factors that make MFA effective: none for a user on
    /// the SKIP_MFA list (`skip`), those the pool enables (`enabled`) when
    /// known; an unknown part counts for nothing (every factor counts, nobody
    /// skips).
    pub fn effective(self, skip: Option<bool>, enabled: Option<Factors>) -> Factors {
        match (skip, enabled) {
            (Some(true), _) => Factors::default(),
            (_, Some(enabled)) => self.and(enabled),
            (_, None) => self,
        }
    }
}

/// `--require any` or `--require totp,face`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// At least one of these.
    wanted: Factors,
    /// As given, lower case, each once: `["any"]`, `["totp", "face"]`.
    pub names: Vec<&'static str>,
}

impl Policy {
    pub fn met(&self, factors: Factors) -> bool {
        factors.has(self.wanted)
    }
}

/// The `--require` value parser.
pub fn parse(text: &str) -> Result<Policy, String> {
    let mut wanted = Factors::default();
    let mut names = Vec::new();
    for part in text.split(',').map(str::trim) {
        let (name, f) = if part.eq_ignore_ascii_case("any") {
            ("any", Factors(15))
        } else {
            *Factors::NAMED
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(part))
                .ok_or_else(|| {
                    format!(
                        "unknown factor {:?}: give `any` or a comma-separated list of totp, sms, \
                         email, face",
                        crate::row::clean(part, 40)
                    )
                })?
        };
        wanted.0 |= f.0;
        if !names.contains(&name) {
            names.push(name);
        }
    }
    Ok(Policy { wanted, names })
}

#[cfg(test)]
mod tests {
    use super::*;
    use genauth_mfa::MfaStatus;

    #[test]
    fn a_user_meets_the_policy_with_any_one_of_its_factors() {
        let totp_face = parse("totp, FACE,totp").unwrap();
        assert_eq!(totp_face.names, ["totp", "face"]);
        let sms = Factors::of(&UserMfaInfo::new().sms(MfaStatus::Enabled));
        let face = Factors::of(&UserMfaInfo::new().face(MfaStatus::Enabled));
        assert!(!totp_face.met(sms));
        assert!(totp_face.met(face));
        assert!(parse("any").unwrap().met(sms));
        assert!(!parse("any").unwrap().met(Factors::default()));
        assert_eq!(
            Factors::from_cells("enabled", "", "x", "disabled"),
            Factors::TOTP
        );
        for bad in ["", "totp,", "sms2", "otp"] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn factors_are_read_by_the_summary_s_names_and_made_effective_by_the_pool_s_facts() {
        let totp_sms = Factors::named(["totp", "sms"]).unwrap();
        assert_eq!(totp_sms, Factors::TOTP.with(Factors::SMS));
        assert_eq!(Factors::named(["any"]), Some(Factors(15)));
        assert_eq!(Factors::named([]), Some(Factors::default()));
        assert_eq!(Factors::named(["totp", "TOTP"]), None);
        assert_eq!(totp_sms.effective(Some(true), None), Factors::default());
        assert_eq!(
            totp_sms.effective(Some(false), Some(Factors::SMS)),
            Factors::SMS
        );
        assert_eq!(totp_sms.effective(None, None), totp_sms);
    }
}
