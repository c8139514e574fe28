import EdControlEngine
import Foundation

/// A voice the generator can make speak.
public enum Voice: Sendable, Hashable, CustomStringConvertible {
    /// espeak-ng with a language+variant, pitch (0–99) and speed (words/min).
    case synthetic(voice: String, pitch: Int, speed: Int)
    /// Real human recordings from a Debian package, all by one person.
    case recorded(RecordedSpeaker)

    public var description: String {
        switch self {
        case .synthetic(let voice, let pitch, let speed): return "espeak-ng \(voice) p\(pitch) s\(speed)"
        case .recorded(let speaker): return "recordings: \(speaker)"
        }
    }

    var isSynthetic: Bool {
        if case .synthetic = self { return true }
        return false
    }

    var language: String {
        if case .synthetic(let voice, _, _) = self, voice.hasPrefix("ru") { return "ru" }
        return "en"
    }

    /// Voices that GE2E tells apart (pairwise cosine of their embeddings ≤ 0.77, measured
    /// with `edcontrol enroll-teacher` on each), teacher-like first. Nearby espeak-ng
    /// variants (ru+m3 vs ru+m6: 0.90) sound alike to it and are left out.
    public static let pool: [Voice] = [
        .synthetic(voice: "ru+m3", pitch: 40, speed: 150),
        .synthetic(voice: "ru+f2", pitch: 55, speed: 160),
        .synthetic(voice: "en+Andy", pitch: 50, speed: 150),
        .synthetic(voice: "ru+f4", pitch: 90, speed: 180),
        .synthetic(voice: "ru+iven3", pitch: 45, speed: 150),
        .synthetic(voice: "en+f5", pitch: 85, speed: 165),
        .recorded(.librivoxReader),
    ]

    /// Whether everything this voice needs is installed.
    public var isAvailable: Bool {
        switch self {
        case .synthetic: return true
        case .recorded(let speaker): return !speaker.files().isEmpty
        }
    }
}

enum Phrases {
    static let russian = [
        "Откройте учебник на странице сорок два",
        "Сегодня мы разберём решение квадратных уравнений",
        "Кто может назвать формулу дискриминанта",
        "Хорошо, давайте проверим ваш ответ на доске",
        "Я не понял, как получилось это число",
        "Повторите, пожалуйста, последнее правило",
        "Домашнее задание нужно сдать до пятницы",
        "Посмотрите внимательно на этот пример",
        "А можно решить это другим способом",
        "Запишите определение в тетрадь",
        "Отлично, это правильный ответ",
        "Давайте вспомним, что мы проходили на прошлой неделе",
        "У меня получилось минус три",
        "Почему здесь меняется знак неравенства",
        "Теперь попробуйте решить следующую задачу самостоятельно",
    ]
    static let english = [
        "Please open your books at page forty two",
        "Today we will look at how plants make their food",
        "Who can tell me what photosynthesis needs",
        "Let us check your answer together on the board",
        "I did not understand how you got that number",
        "Could you repeat the last rule please",
        "The homework is due on Friday morning",
        "Look carefully at this example on the screen",
        "Can we solve it another way",
        "Write the definition in your notebook",
        "Excellent, that is exactly right",
        "I think the answer is minus three",
        "Why does the sign change here",
        "Now try the next problem on your own",
    ]
}
