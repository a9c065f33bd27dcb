package io.collabpipeline.pipelines.generator;

/**
 * The word lists the synthetic workload draws from. Names include non-ASCII letters on purpose
 * (UTF-8 coverage).
 */
final class Vocabulary {

  private Vocabulary() {}

  static final String ID_ALPHABET =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

  static final String[] FIRST_NAMES = {
    "Ava",
    "Noah",
    "José",
    "Zoë",
    "Søren",
    "Ngozi",
    "Mei",
    "Łukasz",
    "Chloé",
    "Priya",
    "Mateo",
    "Aiko",
    "Oluwaseun",
    "Hannah",
    "Björn",
    "Fatima",
    "Liam",
    "Ana",
    "Dmitri",
    "Siobhán",
    "Kwame",
    "Elif",
    "Raúl",
    "Yuki"
  };

  /** ASCII spellings of {@link #FIRST_NAMES}, index for index, for email addresses. */
  static final String[] FIRST_ASCII = {
    "ava",
    "noah",
    "jose",
    "zoe",
    "soren",
    "ngozi",
    "mei",
    "lukasz",
    "chloe",
    "priya",
    "mateo",
    "aiko",
    "oluwaseun",
    "hannah",
    "bjorn",
    "fatima",
    "liam",
    "ana",
    "dmitri",
    "siobhan",
    "kwame",
    "elif",
    "raul",
    "yuki"
  };

  static final String[] LAST_NAMES = {
    "García",
    "Okafor",
    "Nguyen",
    "Müller",
    "Kowalski",
    "Smith",
    "Tanaka",
    "Haddad",
    "O'Brien",
    "Johansson",
    "Rossi",
    "Patel",
    "Dubois",
    "Kim",
    "Silva",
    "Novák",
    "Andersen",
    "Mensah",
    "Ivanova",
    "Cohen"
  };

  static final String[] LAST_ASCII = {
    "garcia",
    "okafor",
    "nguyen",
    "muller",
    "kowalski",
    "smith",
    "tanaka",
    "haddad",
    "obrien",
    "johansson",
    "rossi",
    "patel",
    "dubois",
    "kim",
    "silva",
    "novak",
    "andersen",
    "mensah",
    "ivanova",
    "cohen"
  };

  static final String[] COMPANIES = {
    "northwind",
    "contoso",
    "initech",
    "globex",
    "umbrella",
    "hooli",
    "acme",
    "vandelay",
    "stark",
    "wayne",
    "tyrell",
    "cyberdyne",
    "soylent",
    "wonka",
    "aperture",
    "massive-dynamic"
  };

  static final String[] WORDS = {
    "launch",
    "review",
    "the",
    "draft",
    "roadmap",
    "for",
    "Q3",
    "please",
    "check",
    "design",
    "spec",
    "before",
    "Friday",
    "customer",
    "feedback",
    "on",
    "onboarding",
    "flow",
    "we",
    "need",
    "to",
    "align",
    "with",
    "marketing",
    "budget",
    "sync",
    "blocked",
    "by",
    "legal",
    "approval",
    "can",
    "you",
    "take",
    "a",
    "look",
    "at",
    "this",
    "bug",
    "in",
    "checkout",
    "migration",
    "plan",
    "looks",
    "good",
    "to",
    "me",
    "retro",
    "notes",
    "are",
    "attached",
    "café",
    "naïve",
    "résumé",
    "déjà",
    "vu",
    "über",
    "schön",
    "mañana",
    "priorities",
    "stakeholders",
    "deadline",
    "sprint",
    "milestone",
    "dependencies",
    "estimate",
    "hiring",
    "pipeline",
    "webinar",
    "assets",
    "copy",
    "translation",
    "invoice",
    "renewal",
    "security",
    "audit",
    "incident",
    "postmortem",
    "action",
    "items",
    "owner",
    "follow-up"
  };

  static final String[] TASK_FIELDS = {
    "name",
    "notes",
    "assignee",
    "due_on",
    "tags",
    "custom_fields",
    "memberships",
    "followers",
    "start_on",
    "parent",
    "dependencies",
    "approval_status"
  };

  static final String[] SECTIONS = {
    "Backlog", "To do", "In progress", "In review", "Done", "Icebox"
  };

  static final String[] ROLES = {"owner", "editor", "editor", "commenter", "viewer", "viewer"};

  static final String[] INVITE_SOURCES = {
    "email_invite", "domain_join", "scim", "admin_console", "guest_link"
  };

  static final String[] UNKNOWN_TYPES = {
    "task.archived", "reaction.added", "goal.updated", "portfolio.created"
  };

  static final String[] BAD_PLATFORMS = {"windows_phone", "WEB", "desktop", ""};

  static final String[] LOCALES = {
    "en-US", "en-GB", "de-DE", "fr-FR", "es-ES", "pt-BR", "ja-JP", "pl-PL", "sv-SE"
  };

  static final String[] TIMEZONES = {
    "America/New_York",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Warsaw",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "America/Sao_Paulo",
    "Australia/Sydney",
    "Africa/Lagos"
  };

  static final String[] FEATURE_FLAGS = {
    "new_inbox_v3",
    "rich_text_comments",
    "ai_summaries",
    "timeline_gantt",
    "goals_rollup",
    "portfolio_widgets",
    "task_templates",
    "forms_v2",
    "rules_engine",
    "approvals",
    "workload_view",
    "dark_mode",
    "offline_sync",
    "mention_autocomplete",
    "calendar_drag",
    "bulk_edit",
    "custom_field_formulas"
  };

  static final String[] VIEWS = {
    "list", "board", "timeline", "calendar", "inbox", "search", "overview"
  };

  static final String[] DEVICES = {
    "MacBookPro18,3",
    "Dell XPS 13 9340",
    "ThinkPad X1 Carbon Gen 12",
    "iPhone16,2",
    "iPad14,3",
    "Pixel 9 Pro",
    "SM-S921B",
    "Surface Laptop 6"
  };

  static final String[] SCREENS = {
    "1728x1117", "1920x1080", "2560x1440", "1440x900", "390x844", "412x915", "834x1194"
  };

  static final String[] EDGE_POPS = {
    "iad53", "sfo12", "fra54", "lhr61", "nrt20", "gru3", "bom78", "syd62"
  };

  static final String[] WEB_AGENTS = {
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15"
  };

  static final String[] IOS_AGENTS = {
    "Asana/7.41.0 (iPhone; iOS 18.1; Scale/3.00) CFNetwork/1568.200.51 Darwin/24.1.0",
    "Asana/7.42.2 (iPad; iOS 17.6.1; Scale/2.00) CFNetwork/1496.0.7 Darwin/23.6.0"
  };

  static final String[] ANDROID_AGENTS = {
    "Asana/7.40.1 (Android 15; Pixel 9 Pro; Build/AP3A.241105.007) okhttp/4.12.0",
    "Asana/7.41.3 (Android 14; SM-S921B; Build/UP1A.231005.007) okhttp/4.12.0"
  };

  /**
   * A sentence of {@code minWords} to {@code maxWords} words, capitalized, with a few commas,
   * ending with a full stop, a question mark or an emoji (a surrogate pair: UTF-8 coverage).
   */
  static String sentence(SplitMix rng, int minWords, int maxWords) {
    int words = minWords + rng.nextInt(maxWords - minWords + 1);
    StringBuilder text = new StringBuilder(words * 7);
    for (int i = 0; i < words; i++) {
      String word = rng.pick(WORDS);
      if (i == 0) {
        text.append(Character.toUpperCase(word.charAt(0))).append(word, 1, word.length());
      } else {
        text.append(' ').append(word);
      }
      if (i < words - 1 && rng.chance(0.08)) {
        text.append(',');
      }
    }
    return text.append(rng.chance(0.85) ? "." : rng.chance(0.5) ? "?" : " \uD83D\uDC4D").toString();
  }

  static String service(String platform, boolean notification) {
    switch (platform) {
      case "ios":
        return "ios-app";
      case "android":
        return "android-app";
      case "backend":
        return notification ? "notification-dispatcher" : "tasks-api";
      default:
        return "web-app";
    }
  }

  static String sdk(String platform) {
    switch (platform) {
      case "ios":
        return "asana-ios-events";
      case "android":
        return "asana-android-events";
      case "backend":
        return "asana-events-java";
      default:
        return "asana-events-js";
    }
  }
}
