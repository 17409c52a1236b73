"""Language identification for `language:response_language`, and prose to write in.

IFEval asks `langdetect` for the language of the whole response; so does museslang,
with langdetect's random sampling seeded (IFEval leaves it unseeded, so its verdict on
a text that sits between two languages can change from run to run; here it cannot).
Codes are ISO 639-1 as langdetect returns them. `IFEVAL_CODES` are the 30 that IFEval's
own instruction accepts; another code is an error there (the check fails).

`PROSE` holds plain sentences per language (no commas, no all-capital words)
that the reference oracle writes its answers from.
"""

from __future__ import annotations

from functools import cache

# every code langdetect can return (its 55 profiles)
CODES = frozenset(
    [
        "af",
        "ar",
        "bg",
        "bn",
        "ca",
        "cs",
        "cy",
        "da",
        "de",
        "el",
        "en",
        "es",
        "et",
        "fa",
        "fi",
        "fr",
        "gu",
        "he",
        "hi",
        "hr",
        "hu",
        "id",
        "it",
        "ja",
        "kn",
        "ko",
        "lt",
        "lv",
        "mk",
        "ml",
        "mr",
        "ne",
        "nl",
        "no",
        "pa",
        "pl",
        "pt",
        "ro",
        "ru",
        "sk",
        "sl",
        "so",
        "sq",
        "sv",
        "sw",
        "ta",
        "te",
        "th",
        "tl",
        "tr",
        "uk",
        "ur",
        "vi",
        "zh-cn",
        "zh-tw",
    ]
)
IFEVAL_CODES = frozenset(
    [
        "en",
        "es",
        "pt",
        "ar",
        "hi",
        "fr",
        "ru",
        "de",
        "ja",
        "it",
        "bn",
        "uk",
        "th",
        "ur",
        "ta",
        "te",
        "bg",
        "ko",
        "pl",
        "he",
        "fa",
        "vi",
        "ne",
        "sw",
        "kn",
        "mr",
        "gu",
        "pa",
        "ml",
        "fi",
    ]
)


@cache
def _detector() -> object:
    from langdetect import DetectorFactory, detect

    DetectorFactory.seed = 0
    return detect


def detect(text: str) -> str | None:
    """The ISO 639-1 code langdetect gives the text, or None when it cannot tell (no
    letters): IFEval counts such a response as following the instruction."""
    from langdetect.lang_detect_exception import LangDetectException

    try:
        return _detector()(text)  # type: ignore[operator]
    except LangDetectException:
        return None


PROSE: dict[str, tuple[str, ...]] = {
    "en": (
        "The team shared the plan for the coming weeks.",
        "Every step of the work is written down in the notes.",
        "The draft was reviewed and the feedback was clear.",
        "We will meet again when the first results are in.",
        "The budget covers the tools and the training.",
        "This summary keeps the main points short.",
        "Each person knows what they are responsible for.",
        "The schedule leaves room for testing before the release.",
    ),
    "fr": (
        "Le projet avance bien et les résultats sont bons.",
        "Nous avons partagé le plan avec toute l'équipe.",
        "La réunion est prévue pour la semaine prochaine.",
        "Les notes de la discussion sont dans le dossier.",
        "Il faut encore vérifier les chiffres du rapport.",
        "Elle a préparé une version plus courte du texte.",
    ),
    "de": (
        "Das Projekt kommt gut voran und die Ergebnisse sind gut.",
        "Wir haben den Plan mit dem ganzen Team geteilt.",
        "Die Besprechung ist für die nächste Woche geplant.",
        "Die Notizen der Diskussion liegen in dem Ordner.",
        "Es ist noch nicht klar wann die Tests fertig sind.",
        "Sie hat eine kürzere Fassung des Textes vorbereitet.",
    ),
    "es": (
        "El proyecto avanza bien y los resultados son buenos.",
        "Hemos compartido el plan con todo el equipo.",
        "La reunión está prevista para la semana que viene.",
        "Las notas de la discusión están en la carpeta.",
        "Todavía hay que revisar las cifras del informe.",
        "Ella preparó una versión más corta del texto.",
    ),
    "it": (
        "Il progetto procede bene e i risultati sono buoni.",
        "Abbiamo condiviso il piano con tutta la squadra.",
        "La riunione è prevista per la settimana prossima.",
        "Le note della discussione sono nella cartella.",
        "Bisogna ancora controllare le cifre del rapporto.",
        "Lei ha preparato una versione più breve del testo.",
    ),
    "pt": (
        "O projeto avança bem e os resultados são bons.",
        "Nós partilhamos o plano com toda a equipa.",
        "A reunião está prevista para a próxima semana.",
        "As notas da discussão estão na pasta.",
        "Ainda é preciso verificar os números do relatório.",
        "Ela preparou uma versão mais curta do texto.",
    ),
    "nl": (
        "Het project gaat goed en de resultaten zijn goed.",
        "Wij hebben het plan met het hele team gedeeld.",
        "De vergadering is gepland voor de volgende week.",
        "De notities van de discussie staan in de map.",
        "Het is nog niet duidelijk wanneer de tests klaar zijn.",
        "Zij heeft een kortere versie van de tekst gemaakt.",
    ),
    "ar": (
        "يعمل الفريق على الخطة الجديدة هذا الأسبوع.",
        "تمت مراجعة المسودة وكانت الملاحظات واضحة.",
        "سنلتقي مرة أخرى عندما تظهر النتائج الأولى.",
        "الميزانية تغطي الأدوات والتدريب.",
        "كل شخص يعرف ما هو مسؤول عنه.",
    ),
    "bg": (
        "Екипът работи по новия план тази седмица.",
        "Черновата беше прегледана и бележките бяха ясни.",
        "Ще се срещнем отново когато има първи резултати.",
        "Бюджетът покрива инструментите и обучението.",
        "Всички в екипа знаят какво трябва да направят.",
    ),
    "hi": (
        "टीम इस सप्ताह नई योजना पर काम कर रही है।",
        "मसौदे की समीक्षा हो गई है और सुझाव स्पष्ट थे।",
        "पहले परिणाम आने पर हम फिर मिलेंगे।",
        "बजट में उपकरण और प्रशिक्षण शामिल हैं।",
        "हर व्यक्ति जानता है कि उसकी जिम्मेदारी क्या है।",
    ),
    "ko": (
        "팀은 이번 주에 새로운 계획을 준비하고 있습니다.",
        "초안을 검토했고 의견이 분명했습니다.",
        "첫 결과가 나오면 다시 만나겠습니다.",
        "예산에는 도구와 교육이 포함됩니다.",
        "모든 사람이 자신의 책임을 알고 있습니다.",
    ),
    "fi": (
        "Tiimi työskentelee uuden suunnitelman parissa tällä viikolla.",
        "Luonnos tarkistettiin ja palaute oli selkeää.",
        "Tapaamme uudelleen kun ensimmäiset tulokset tulevat.",
        "Budjetti kattaa työkalut ja koulutuksen.",
        "Jokainen tietää mistä hän on vastuussa.",
    ),
    "th": (
        "ทีมงานกำลังทำแผนใหม่ในสัปดาห์นี้",
        "เราได้ตรวจร่างแล้วและความคิดเห็นชัดเจนมาก",
        "เราจะพบกันอีกครั้งเมื่อได้ผลลัพธ์แรก",
        "งบประมาณครอบคลุมเครื่องมือและการฝึกอบรม",
        "ทุกคนรู้ว่าตนเองรับผิดชอบอะไร",
    ),
    "mr": (
        "संघ या आठवड्यात नवीन योजनेवर काम करत आहे.",
        "मसुद्याचे पुनरावलोकन झाले आणि सूचना स्पष्ट होत्या.",
        "पहिले निकाल आल्यावर आपण पुन्हा भेटू.",
        "अंदाजपत्रकात साधने आणि प्रशिक्षण समाविष्ट आहे.",
        "प्रत्येकाला आपली जबाबदारी माहीत आहे.",
    ),
    "bn": (
        "দলটি এই সপ্তাহে নতুন পরিকল্পনা নিয়ে কাজ করছে।",
        "খসড়াটি পর্যালোচনা করা হয়েছে এবং মতামত পরিষ্কার ছিল।",
        "প্রথম ফলাফল এলে আমরা আবার দেখা করব।",
        "বাজেটে সরঞ্জাম এবং প্রশিক্ষণ অন্তর্ভুক্ত।",
        "প্রত্যেকে জানে তার দায়িত্ব কী।",
    ),
    "ru": (
        "Команда работает над новым планом на этой неделе.",
        "Черновик проверен и замечания были ясными.",
        "Мы встретимся снова когда появятся первые результаты.",
        "Бюджет покрывает инструменты и обучение.",
        "Каждый знает за что он отвечает.",
    ),
    "uk": (
        "Команда працює над новим планом цього тижня.",
        "Чернетку переглянули і зауваження були зрозумілими.",
        "Ми зустрінемося знову коли з'являться перші результати.",
        "Бюджет покриває інструменти та навчання.",
        "Кожен знає за що він відповідає.",
    ),
    "ja": (
        "チームは今週新しい計画に取り組んでいます。",
        "草案を確認しましたが意見は明確でした。",
        "最初の結果が出たらまた会いましょう。",
        "予算には道具と研修が含まれています。",
        "みんなが自分の責任を知っています。",
    ),
    "zh-cn": (
        "团队这周正在制定新的计划。",
        "草稿已经审阅过了意见很清楚。",
        "第一批结果出来后我们再见面。",
        "预算包括工具和培训。",
        "每个人都知道自己负责什么。",
    ),
    "he": (
        "הצוות עובד על התוכנית החדשה השבוע.",
        "הטיוטה נבדקה וההערות היו ברורות.",
        "ניפגש שוב כשיגיעו התוצאות הראשונות.",
        "התקציב מכסה את הכלים ואת ההדרכה.",
        "כל אחד יודע על מה הוא אחראי.",
    ),
    "fa": (
        "تیم این هفته روی برنامه جدید کار می‌کند.",
        "پیش‌نویس بررسی شد و نظرات روشن بود.",
        "وقتی نتایج اول آمد دوباره همدیگر را می‌بینیم.",
        "بودجه شامل ابزارها و آموزش است.",
        "هر کس می‌داند مسئول چه کاری است.",
    ),
    "ur": (
        "ٹیم اس ہفتے نئے منصوبے پر کام کر رہی ہے۔",
        "مسودے کا جائزہ لیا گیا اور تجاویز واضح تھیں۔",
        "پہلے نتائج آنے پر ہم دوبارہ ملیں گے۔",
        "بجٹ میں اوزار اور تربیت شامل ہیں۔",
        "ہر شخص جانتا ہے کہ اس کی ذمہ داری کیا ہے۔",
    ),
    "vi": (
        "Nhóm đang làm kế hoạch mới trong tuần này.",
        "Bản nháp đã được xem xét và ý kiến rất rõ ràng.",
        "Chúng ta sẽ gặp lại khi có kết quả đầu tiên.",
        "Ngân sách bao gồm công cụ và đào tạo.",
        "Mỗi người đều biết mình chịu trách nhiệm về việc gì.",
    ),
    "pl": (
        "Zespół pracuje nad nowym planem w tym tygodniu.",
        "Szkic został sprawdzony i uwagi były jasne.",
        "Spotkamy się ponownie gdy pojawią się pierwsze wyniki.",
        "Budżet obejmuje narzędzia i szkolenia.",
        "Każdy wie za co odpowiada.",
    ),
    "ta": (
        "குழு இந்த வாரம் புதிய திட்டத்தில் வேலை செய்கிறது.",
        "வரைவு மதிப்பாய்வு செய்யப்பட்டது மற்றும் கருத்துகள் தெளிவாக இருந்தன.",
        "முதல் முடிவுகள் வந்ததும் மீண்டும் சந்திப்போம்.",
        "பட்ஜெட்டில் கருவிகளும் பயிற்சியும் அடங்கும்.",
        "ஒவ்வொருவருக்கும் தங்கள் பொறுப்பு தெரியும்.",
    ),
    "te": (
        "బృందం ఈ వారం కొత్త ప్రణాళికపై పని చేస్తోంది.",
        "ముసాయిదాను సమీక్షించారు మరియు సూచనలు స్పష్టంగా ఉన్నాయి.",
        "మొదటి ఫలితాలు వచ్చినప్పుడు మళ్ళీ కలుద్దాం.",
        "బడ్జెట్‌లో పరికరాలు మరియు శిక్షణ ఉన్నాయి.",
        "ప్రతి ఒక్కరికీ తమ బాధ్యత తెలుసు.",
    ),
    "ne": (
        "टोली यो हप्ता नयाँ योजनामा काम गर्दैछ।",
        "मस्यौदाको समीक्षा गरियो र सुझावहरू स्पष्ट थिए।",
        "पहिलो नतिजा आएपछि हामी फेरि भेट्नेछौं।",
        "बजेटमा उपकरण र तालिम समावेश छन्।",
        "सबैलाई आफ्नो जिम्मेवारी थाहा छ।",
    ),
    "sw": (
        "Timu inafanya kazi kwenye mpango mpya wiki hii.",
        "Rasimu imepitiwa na maoni yalikuwa wazi.",
        "Tutakutana tena matokeo ya kwanza yatakapofika.",
        "Bajeti inajumuisha vifaa na mafunzo.",
        "Kila mtu anajua anachohusika nacho.",
    ),
    "kn": (
        "ತಂಡವು ಈ ವಾರ ಹೊಸ ಯೋಜನೆಯ ಮೇಲೆ ಕೆಲಸ ಮಾಡುತ್ತಿದೆ.",
        "ಕರಡನ್ನು ಪರಿಶೀಲಿಸಲಾಯಿತು ಮತ್ತು ಸಲಹೆಗಳು ಸ್ಪಷ್ಟವಾಗಿದ್ದವು.",
        "ಮೊದಲ ಫಲಿತಾಂಶಗಳು ಬಂದಾಗ ಮತ್ತೆ ಭೇಟಿಯಾಗೋಣ.",
        "ಬಜೆಟ್‌ನಲ್ಲಿ ಉಪಕರಣಗಳು ಮತ್ತು ತರಬೇತಿ ಸೇರಿವೆ.",
        "ಪ್ರತಿಯೊಬ್ಬರಿಗೂ ತಮ್ಮ ಜವಾಬ್ದಾರಿ ತಿಳಿದಿದೆ.",
    ),
    "gu": (
        "ટીમ આ અઠવાડિયે નવી યોજના પર કામ કરી રહી છે.",
        "મુસદ્દાની સમીક્ષા થઈ અને સૂચનો સ્પષ્ટ હતા.",
        "પ્રથમ પરિણામો આવશે ત્યારે આપણે ફરી મળીશું.",
        "બજેટમાં સાધનો અને તાલીમનો સમાવેશ થાય છે.",
        "દરેકને પોતાની જવાબદારી ખબર છે.",
    ),
    "pa": (
        "ਟੀਮ ਇਸ ਹਫ਼ਤੇ ਨਵੀਂ ਯੋਜਨਾ ਉੱਤੇ ਕੰਮ ਕਰ ਰਹੀ ਹੈ।",
        "ਖਰੜੇ ਦੀ ਸਮੀਖਿਆ ਹੋ ਗਈ ਹੈ ਅਤੇ ਸੁਝਾਅ ਸਪਸ਼ਟ ਸਨ।",
        "ਪਹਿਲੇ ਨਤੀਜੇ ਆਉਣ ਤੇ ਅਸੀਂ ਫਿਰ ਮਿਲਾਂਗੇ।",
        "ਬਜਟ ਵਿੱਚ ਸੰਦ ਅਤੇ ਸਿਖਲਾਈ ਸ਼ਾਮਲ ਹਨ।",
        "ਹਰ ਕੋਈ ਜਾਣਦਾ ਹੈ ਕਿ ਉਸਦੀ ਜ਼ਿੰਮੇਵਾਰੀ ਕੀ ਹੈ।",
    ),
    "ml": (
        "ടീം ഈ ആഴ്ച പുതിയ പദ്ധതിയിൽ പ്രവർത്തിക്കുന്നു.",
        "കരട് പരിശോധിച്ചു നിർദ്ദേശങ്ങൾ വ്യക്തമായിരുന്നു.",
        "ആദ്യ ഫലങ്ങൾ വരുമ്പോൾ നമുക്ക് വീണ്ടും കാണാം.",
        "ബജറ്റിൽ ഉപകരണങ്ങളും പരിശീലനവും ഉൾപ്പെടുന്നു.",
        "ഓരോരുത്തർക്കും അവരവരുടെ ഉത്തരവാദിത്തം അറിയാം.",
    ),
}
