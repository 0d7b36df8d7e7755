//! The [`StrengthEstimator`] port with zxcvbn, Dropbox's estimator of how many guesses a
//! password takes (dictionaries, keyboard patterns, dates, repeats, the user's own details),
//! whose feedback becomes the hint a refused password is answered with.

use postern_core::domain::{Password, PasswordStrength};
use postern_core::ports::StrengthEstimator;

/// Estimates with zxcvbn.
#[derive(Clone, Copy, Debug, Default)]
pub struct ZxcvbnEstimator;

impl StrengthEstimator for ZxcvbnEstimator {
    fn estimate(&self, password: &Password, user_inputs: &[String]) -> PasswordStrength {
        // zxcvbn matches its inputs as dictionary words: an address or a full name is split
        // into the words a guesser would try.
        let inputs: Vec<&str> = user_inputs
            .iter()
            .flat_map(|input| input.split(|c: char| !c.is_alphanumeric()))
            .filter(|word| word.chars().count() >= 3)
            .collect();
        let entropy = zxcvbn::zxcvbn(password.expose(), &inputs);
        let hint = entropy.feedback().map(|feedback| {
            feedback
                .warning()
                .map(|warning| warning.to_string())
                .into_iter()
                .chain(feedback.suggestions().iter().map(ToString::to_string))
                .collect::<Vec<_>>()
                .join(" ")
        });
        PasswordStrength {
            score: u8::from(entropy.score()),
            hint: hint.filter(|hint| !hint.is_empty()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn estimate(password: &str, inputs: &[&str]) -> PasswordStrength {
        let inputs: Vec<String> = inputs.iter().map(|&s| s.to_owned()).collect();
        ZxcvbnEstimator.estimate(
            &Password::parse(password.into(), "password").unwrap(),
            &inputs,
        )
    }

    #[test]
    fn a_common_password_scores_low_with_a_hint_and_a_passphrase_scores_high() {
        let weak = estimate("password123", &[]);
        let strong = estimate("correct horse battery staple orbit", &[]);

        assert!(weak.score <= 1, "{weak:?}");
        assert!(weak.hint.is_some(), "{weak:?}");
        assert_eq!(strong.score, 4, "{strong:?}");
    }

    #[test]
    fn the_users_own_details_make_a_password_weaker() {
        let alone = estimate("lovelacebyron", &[]);
        let with_details = estimate("lovelacebyron", &["ada.lovelace@example.com", "Ada Byron"]);

        assert!(
            with_details.score < alone.score,
            "{alone:?} {with_details:?}"
        );
    }
}
