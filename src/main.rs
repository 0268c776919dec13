//! The `guildhall` command: parse, load config, run.

use clap::{Parser, Subcommand};
use guildhall::config::Config;
use guildhall::startup::{Application, open_database};
use std::io::{IsTerminal, Read};
use std::process::ExitCode;

/// mimalloc instead of glibc's malloc: under load glibc gives each of the
/// worker and blocking threads an arena of its own and keeps their freed
/// memory, which is most of the server's resident size. Built with
/// `no_thp` (Cargo.toml): otherwise mimalloc asks for transparent huge pages
/// on its arena, and every 2 MiB it touches becomes resident whole (peak RSS
/// 66-80 MiB under bench/run against 37-47 without; bench/RESULTS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "guildhall", version, about = "Guildhall community server")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Start the web server and the mail worker (the default). Configured by GUILDHALL_* variables.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create a site administrator. The password is asked for, or read from standard input.
    CreateAdmin {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Site")]
        first_name: String,
        #[arg(long, default_value = "Admin")]
        last_name: String,
    },
    /// Fill an EMPTY database with deterministic demo/benchmark data: users
    /// alice, bob, carol and user0…user{N-1}, all with the password
    /// `guildhall-demo`; groups, memberships (group `big` holds everyone) and
    /// private messages. Seeded users are marked; `serve` warns while they exist.
    /// Only in a build with `--features seed`.
    #[cfg(feature = "seed")]
    Seed {
        /// Number of generated users (besides alice, bob and carol).
        #[arg(long, default_value_t = 10_000)]
        users: u64,
        /// No progress line on stderr.
        #[arg(long)]
        quiet: bool,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, not in a log file.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,actix_server=warn".into()),
        )
        .init();
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config),
        Command::Migrate => migrate(&config),
        Command::CreateAdmin {
            username,
            email,
            first_name,
            last_name,
        } => create_admin(&config, username, email, first_name, last_name),
        #[cfg(feature = "seed")]
        Command::Seed { users, quiet } => seed(&config, users, quiet),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

type CliResult = Result<(), Box<dyn std::error::Error>>;

fn serve(config: Config) -> CliResult {
    // The main runtime runs the mail worker: its blocking tasks (database
    // calls, mail files) need a few threads, not tokio's default of 512,
    // each of which would keep its stack and allocator heap.
    let runtime = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .max_blocking_threads(4)
            .build()
            .expect("a tokio runtime")
    };
    actix_web::rt::System::with_tokio_rt(runtime).block_on(async move {
        tracing::info!(?config, "starting");
        let base = config.base_url.clone();
        let app = Application::build(config)?;
        let state = app.state();
        let has_admin = guildhall::db::run(&state.pool, |c| {
            Ok(guildhall::models::user::site_admin_exists(c)?)
        })
        .await?;
        if !has_admin {
            tracing::warn!("no site administrator yet: open {base}/setup to create one");
        }
        let seeded = guildhall::db::run(&state.pool, |c| {
            Ok(guildhall::models::user::seeded_exist(c)?)
        })
        .await?;
        if seeded {
            tracing::warn!(
                "this database holds users made by `guildhall seed`, all with the public password {:?}: \
                 never expose it to the Internet",
                guildhall::models::user::SEEDED_PASSWORD
            );
        }
        tracing::info!("listening on {base} (port {})", app.port());
        app.run_until_signalled().await?;
        Ok(())
    })
}

fn migrate(config: &Config) -> CliResult {
    let pool = open_database(config)?;
    drop(pool);
    println!("database is up to date");
    Ok(())
}

#[cfg(feature = "seed")]
fn seed(config: &Config, users: u64, quiet: bool) -> CliResult {
    let started = std::time::Instant::now();
    let pool = open_database(config)?;
    let mut conn = pool.get()?;
    let key = guildhall::startup::secret_key(config)?;
    let opts = guildhall::seed::SeedOptions {
        users,
        links: guildhall::auth::links::LinkKey::derive(key.master()),
    };
    let r = guildhall::seed::seed(&mut conn, &opts, quiet)?;
    println!(
        "seeded {} users, {} groups, {} memberships, {} conversations, {} messages, \
         {} notifications, {} invitations ({}) in {:.1} s; every seeded user's password is {:?}",
        r.users,
        r.groups,
        r.memberships,
        r.conversations,
        r.messages,
        r.notifications,
        r.invitations,
        r.accept_invitations
            .iter()
            .map(|(who, n)| format!("{n} to {who}"))
            .collect::<Vec<_>>()
            .join(", "),
        started.elapsed().as_secs_f64(),
        guildhall::seed::DEFAULT_PASSWORD
    );
    Ok(())
}

fn read_password() -> Result<String, Box<dyn std::error::Error>> {
    if std::io::stdin().is_terminal() {
        let p = rpassword::prompt_password("Password: ")?;
        let again = rpassword::prompt_password("Password again: ")?;
        if p != again {
            return Err("the passwords differ".into());
        }
        Ok(p)
    } else {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s)?;
        Ok(s.lines().next().unwrap_or("").to_string())
    }
}

fn create_admin(
    config: &Config,
    username: String,
    email: String,
    first_name: String,
    last_name: String,
) -> CliResult {
    use guildhall::services::registration::{self, SignupInput};
    let password = read_password()?;
    let input = SignupInput {
        username,
        first_name,
        last_name,
        email,
        password,
        ..Default::default()
    };
    let acc = input.parse().map_err(|errors| {
        let mut msg = String::from("invalid input:");
        for field in ["username", "email", "first_name", "last_name", "password"] {
            if let Some(m) = errors.get(field) {
                msg.push_str(&format!("\n  {field}: {m}"));
            }
        }
        msg
    })?;
    let pool = open_database(config)?;
    let mut conn = pool.get()?;
    let now = guildhall::clock::Clock::default().now();
    match registration::create_site_admin(&mut conn, &acc, false, now)? {
        Ok(id) => {
            println!(
                "created site administrator {} (id {id})",
                acc.username.as_str()
            );
            Ok(())
        }
        Err(errors) => {
            let m = errors
                .get("username")
                .or(errors.get("email"))
                .unwrap_or("already exists");
            Err(m.to_string().into())
        }
    }
}
