//! `postern user`: account administration for operators, through the same use cases as the
//! API. The first admin has to come from somewhere: `create-admin` makes it, and `set-role`
//! changes anyone's role without an admin token.
//!
//! A password is read from the terminal without echo, or from standard input when that is not a
//! terminal (for scripts), and never from the command line, where `ps` and shell history would
//! keep it.

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, bail};
use clap::{Subcommand, ValueEnum};
use postern_core::domain::{AccessChange, Actor, DisplayName, Email, Password, Role};
use postern_core::usecases::{Accounts, ChangeAccessError, SignupError, SignupRequest};

use crate::config::Config;
use crate::wiring;

/// What `postern user` does.
#[derive(Subcommand)]
pub enum UserAction {
    /// Create an admin account. The password is prompted for without echo, or read as one line
    /// from standard input when it is not a terminal; it is never taken from the command line.
    CreateAdmin {
        /// The account's email.
        #[arg(long)]
        email: String,
        /// An optional display name.
        #[arg(long)]
        name: Option<String>,
    },
    /// Set an account's role. With the embedded in-process cache, a running server may keep
    /// the old role for up to 10 minutes (its cached profile); with Redis it applies at once.
    SetRole {
        /// The account's email.
        #[arg(long)]
        email: String,
        /// The new role.
        #[arg(long, value_enum)]
        role: RoleArg,
    },
}

/// A role on the command line.
#[derive(ValueEnum, Clone, Copy)]
pub enum RoleArg {
    /// An ordinary account.
    User,
    /// May read users and manage caches.
    Manager,
    /// May do everything.
    Admin,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::User => Self::User,
            RoleArg::Manager => Self::Manager,
            RoleArg::Admin => Self::Admin,
        }
    }
}

/// Runs `postern user <action>` against the configured database (and Redis, whose cached
/// profiles it invalidates).
///
/// # Errors
/// Invalid input, a taken email, an unknown account, or an unreachable dependency.
pub async fn run(config: &Config, action: UserAction) -> anyhow::Result<()> {
    let db = wiring::database(config).await?;
    let providers = wiring::no_identity_providers().await?;
    let accounts = &wiring::assemble(config, db, providers)
        .await?
        .state
        .accounts;
    match action {
        UserAction::CreateAdmin { email, name } => create_admin(accounts, &email, name).await,
        UserAction::SetRole { email, role } => set_role(accounts, &email, role.into()).await,
    }
}

/// Creates an admin. An existing account is not promoted: the password just typed would be
/// silently ignored; `set-role` is the way to promote it.
async fn create_admin(
    accounts: &Accounts,
    email: &str,
    name: Option<String>,
) -> anyhow::Result<()> {
    let email = Email::parse(email).map_err(|e| anyhow::anyhow!("--email {}", e.message))?;
    let name = name
        .as_deref()
        .map(DisplayName::parse)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--name {}", e.message))?;
    let password = Password::parse(read_password()?, "password")
        .map_err(|e| anyhow::anyhow!("the password {}", e.message))?;
    let request = SignupRequest {
        email: email.clone(),
        password,
        name,
    };
    match accounts
        .signup
        .execute_with_role(request, Role::Admin)
        .await
    {
        Ok(user) => {
            println!("created admin {} ({})", user.email.as_str(), user.id);
            Ok(())
        }
        Err(SignupError::EmailTaken) => bail!(
            "an account with {email} already exists; promote it with \
             `postern user set-role --email {email} --role admin`",
            email = email.as_str()
        ),
        Err(SignupError::WeakPassword(problem)) => bail!("the password {}", problem.message),
        Err(other) => Err(other).context("creating the admin"),
    }
}

async fn set_role(accounts: &Accounts, email: &str, role: Role) -> anyhow::Result<()> {
    let email = Email::parse(email).map_err(|e| anyhow::anyhow!("--email {}", e.message))?;
    let change = AccessChange {
        role: Some(role),
        disabled: None,
    };
    match accounts
        .change_access
        .execute_by_email(Actor::Operator, &email, change)
        .await
    {
        Ok(user) => {
            println!("{} is now {}", user.email.as_str(), user.role);
            Ok(())
        }
        Err(ChangeAccessError::NotFound) => bail!("no account has the email {}", email.as_str()),
        Err(ChangeAccessError::LastAdmin) => bail!(
            "{} is the last enabled admin; make another account admin first",
            email.as_str()
        ),
        Err(other) => Err(other).context("setting the role"),
    }
}

/// The new password: prompted for twice, without echo, on a terminal; otherwise the first line
/// of standard input.
fn read_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    let first = rpassword::prompt_password("Password: ").context("reading the password")?;
    let again = rpassword::prompt_password("Repeat it: ").context("reading the password")?;
    if first != again {
        bail!("the two passwords differ");
    }
    Ok(first)
}
