//! What goes into a batch and what comes out of it, item by item.

use crate::error::Error;
use crate::model::mfa::{UserIdType, UserMfaInfo};

/// One user to ask about: an id, how to read it, and a tag of yours that
/// comes back with the result (a line number, a row of a listing).
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Target<T = ()> {
    /// The user's id.
    pub user_id: String,
    /// How to read it; `None` takes the batch's
    /// [`user_id_type`](super::Batch::user_id_type).
    pub user_id_type: Option<UserIdType>,
    /// Yours, handed back in [`Done::tag`].
    pub tag: T,
}

impl Target {
    /// A target with no type and no tag.
    ///
    /// ```
    /// use genauth_mfa::{UserIdType, batch::Target};
    ///
    /// let t = Target::new("alice@example.com").user_id_type(UserIdType::Email).tag(7);
    /// assert_eq!((t.user_id.as_str(), t.tag), ("alice@example.com", 7));
    /// ```
    pub fn new(user_id: impl Into<String>) -> Target {
        Target {
            user_id: user_id.into(),
            user_id_type: None,
            tag: (),
        }
    }
}

impl<T> Target<T> {
    /// The same target, read as `user_id_type`.
    ///
    /// ```
    /// use genauth_mfa::{UserIdType, batch::Target};
    ///
    /// let t = Target::new("bob").user_id_type(UserIdType::Username);
    /// assert_eq!(t.user_id_type, Some(UserIdType::Username));
    /// ```
    pub fn user_id_type(mut self, user_id_type: UserIdType) -> Target<T> {
        self.user_id_type = Some(user_id_type);
        self
    }

    /// The same target with `tag` instead of its tag.
    ///
    /// ```
    /// use genauth_mfa::batch::Target;
    ///
    /// assert_eq!(Target::new("bob").tag("line 3").tag, "line 3");
    /// ```
    pub fn tag<U>(self, tag: U) -> Target<U> {
        Target {
            user_id: self.user_id,
            user_id_type: self.user_id_type,
            tag,
        }
    }
}

/// One item of a batch's input: a user to ask about, or input that could
/// not be read (handed back in its turn, with no call).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Input<T = ()> {
    /// Ask about this user.
    Ask(Target<T>),
    /// This part of the input could not be read (a line that is not UTF-8,
    /// a page of a listing that failed): handed back as
    /// [`Outcome::Unreadable`].
    Unreadable {
        /// Yours, handed back in [`Done::tag`].
        tag: T,
        /// Why, as the callback will see it.
        reason: String,
    },
}

/// A borrowed id: `&str`, and what iterating over ids borrows (`&String`
/// from `ids.iter()` over a `Vec<String>`, `&&str` over a `Vec<&str>`).
impl<S: AsRef<str> + ?Sized> From<&S> for Input {
    fn from(user_id: &S) -> Input {
        Input::Ask(Target::new(user_id.as_ref()))
    }
}

impl From<String> for Input {
    fn from(user_id: String) -> Input {
        Input::Ask(Target::new(user_id))
    }
}

impl<T> From<Target<T>> for Input<T> {
    fn from(target: Target<T>) -> Input<T> {
        Input::Ask(target)
    }
}

/// One finished item, handed to [`Batch::run`](super::Batch::run)'s callback.
#[derive(Debug)]
#[non_exhaustive]
pub struct Done<T = ()> {
    /// The target's (or unreadable input's) tag.
    pub tag: T,
    /// The id asked about (`None` for unreadable input).
    pub user_id: Option<String>,
    /// The type it was read as, if one was sent.
    pub user_id_type: Option<UserIdType>,
    /// What came of it.
    pub outcome: Outcome,
}

/// What came of one item.
#[derive(Debug)]
#[non_exhaustive]
pub enum Outcome {
    /// The server answered with the user's MFA statuses.
    Answered(UserMfaInfo),
    /// The call failed: an error answer about the user (not found, say),
    /// or a transport error, timeout or undecodable answer that outlasted
    /// the client's retries.
    Failed(Error),
    /// The input could not be read; nothing was sent.
    Unreadable(String),
}

impl Outcome {
    /// Whether the server answered with MFA statuses.
    ///
    /// ```
    /// use genauth_mfa::{UserMfaInfo, batch::Outcome};
    ///
    /// assert!(Outcome::Answered(UserMfaInfo::new()).is_answered());
    /// assert!(!Outcome::Unreadable("line 3 is not UTF-8".into()).is_answered());
    /// ```
    #[must_use]
    pub fn is_answered(&self) -> bool {
        matches!(self, Outcome::Answered(_))
    }
}
